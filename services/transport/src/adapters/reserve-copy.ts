import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { type IncidentRequestDocument, requisiteLines } from '../domain/incident-request.js';

const require = createRequire(import.meta.url);
// DejaVu covers Cyrillic; pdfkit's standard fonts do not.
const FONT = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const FONT_BOLD = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf');
const FONT_MONO = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSansMono.ttf');

/** What the printable copy is made from. */
export interface ReserveCopyInput {
  document: IncidentRequestDocument;
  /** The exact bytes signed. */
  documentBytes: Uint8Array;
  documentSha256: string;
  signatureSha256: string;
  /** The signature's signingTime, ISO 8601, when known. */
  signedAt?: string | undefined;
  /** When the copy is made (also the PDF's creation date). */
  at: Date;
}

function opening(document: IncidentRequestDocument): string {
  const { name, bic, uic } = document.participant;
  const who = `${name} (БИК ${bic}, УИС ${uic})`;
  return document.kind === 'suspend'
    ? `В связи с выявлением инцидента, связанного с несоблюдением требований к защите информации, который привел или ` +
        `может привести к осуществлению перевода денежных средств без согласия участника ССНП, ${who} просит ` +
        'приостановить обмен электронными сообщениями и аннулировать электронные сообщения, ранее поступившие от ' +
        'участника ССНП и неисполненные (Положение Банка России № 802-П, п. 19).'
    : `По результатам устранения причин инцидента ${who} просит отменить ранее введенное приостановление обмена ` +
        'электронными сообщениями (Положение Банка России № 802-П, п. 19).';
}

/**
 * The reserve channel's printable copy of a request (802-П пп. 19.1, 19.4): a PDF to be signed by the
 * authorised person, sealed and sent by fax or e-mail while the main channel does not work, with every
 * requisite of п. 19.3, the digests of the signed document and of its signature, the certificate's serial,
 * issuer and thumbprint, and the document itself, so the Bank of Russia can check the requisites (п. 19.5).
 */
export async function renderReserveCopy(input: ReserveCopyInput): Promise<Uint8Array> {
  const { document } = input;
  const pdf = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: {
      Title: `${document.title} — ${document.requestId}`,
      Subject: 'Копия обращения для резервного способа взаимодействия (802-П п. 19.1, 19.4)',
      Author: document.participant.name,
      Creator: 'TwinContour transport',
      CreationDate: input.at,
    },
  });
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    pdf.on('end', () => resolve());
    pdf.on('error', reject);
  });

  pdf.font(FONT).fontSize(9).fillColor('#444');
  pdf.text('КОПИЯ ОБРАЩЕНИЯ — резервный способ взаимодействия (Положение Банка России № 802-П, пп. 19.1, 19.4)');
  pdf.moveDown(0.8);
  pdf.font(FONT_BOLD).fontSize(14).fillColor('black').text(document.title, { align: 'center' });
  pdf.moveDown(0.8);
  pdf.font(FONT).fontSize(10.5).text(opening(document), { align: 'justify' });
  pdf.moveDown(0.8);

  for (const line of requisiteLines(document, input)) {
    pdf.font(FONT_BOLD).fontSize(9.5).text(`${line.label}: `, { continued: true });
    pdf.font(FONT).text(line.value);
  }

  pdf.moveDown(0.8);
  pdf
    .font(FONT)
    .fontSize(9)
    .text(
      'Документ обращения, подписанный электронной подписью уполномоченного лица (CMS SignedData, отсоединенная ' +
        'подпись над этими байтами в UTF-8; SHA-256 указаны выше):',
    );
  pdf.moveDown(0.3);
  pdf
    .font(FONT_MONO)
    .fontSize(7.5)
    .text(JSON.stringify(JSON.parse(Buffer.from(input.documentBytes).toString('utf8')), null, 2));

  pdf.moveDown(1.2);
  pdf.font(FONT).fontSize(10.5);
  pdf.text(`Уполномоченное лицо: ${document.authorisedPerson.position}`);
  pdf.moveDown(0.6);
  pdf.text(`_______________________ / ${document.authorisedPerson.fullName} /          М.П.`);
  pdf.moveDown(1);
  pdf
    .fontSize(8.5)
    .fillColor('#444')
    .text(
      'Копия направляется по факсимильной связи или электронной почте по контактам, размещенным на официальном ' +
        'сайте Банка России; оригинал на бумажном носителе — не позднее одного рабочего дня после направления копии ' +
        '(п. 19.4). При возобновлении работы основного канала обращение направляется повторно с использованием ' +
        'технической инфраструктуры Банка России (п. 19.1): шлюз делает это сам.',
    );
  pdf.moveDown(0.4);
  pdf.text(`Копия изготовлена: ${input.at.toISOString()}`);
  pdf.end();
  await finished;
  return new Uint8Array(Buffer.concat(chunks));
}
