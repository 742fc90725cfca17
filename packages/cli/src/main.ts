export async function main(argv: readonly string[]): Promise<number> {
  process.stdout.write(`twincontour ${argv.join(' ')}\n`);
  return 0;
}
