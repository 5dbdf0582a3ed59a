/**
 * The root of the diskless-kafka package (where its Dockerfile is), found from this file's
 * location so it works from the TypeScript sources (lib/) and from compiled output (dist/lib/).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'diskless-kafka';

export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isThisPackage(dir)) return dir;
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the ${PACKAGE_NAME} package root above ${from}`);
    }
  }
}

function isThisPackage(dir: string): boolean {
  const manifest = path.join(dir, 'package.json');
  if (!fs.existsSync(manifest)) return false;
  const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown };
  return name === PACKAGE_NAME;
}
