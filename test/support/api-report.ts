import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The package's entry points, as compiled into build/ by `npm test`. */
const ENTRIES = [
  { name: 'nest-chat-gateway', declarations: '../../src/index.d.ts' },
  { name: 'nest-chat-gateway/client', declarations: '../../client/src/index.d.ts' },
] as const;

/** The committed report the test compares with. */
export const API_REPORT = fileURLToPath(new URL('../../../docs/api-report.md', import.meta.url));

/**
 * The public surface of the package, read from its compiled declarations (after `stripInternal`):
 * every export of each entry point with its declaration, and every non-private member of the
 * exported classes. Comments are left out, so documentation changes do not touch it; any change
 * to a name, a signature or a type does.
 */
export function renderApiReport(): string {
  const files = ENTRIES.map(({ declarations }) =>
    fileURLToPath(new URL(declarations, import.meta.url)),
  );
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const printer = ts.createPrinter({ removeComments: true });
  const sections = ENTRIES.map(({ name }, i) => {
    const source = program.getSourceFile(files[i])!;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
    const lines = exports
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((symbol) => {
        const target =
          symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        return (target.declarations ?? []).map((declaration) =>
          print(printer, declaration, symbol.name),
        );
      });
    return [`## ${name}`, '', '```ts', ...lines, '```', ''].join('\n');
  });
  return [
    '# Public API report',
    '',
    '<!-- Generated from the compiled declarations by `npm run api:report`. Do not edit by hand. -->',
    '',
    'Every export of the package, with its declaration and the public members of its classes. A test',
    'fails when the public surface changes without this file being regenerated, so every change to',
    'it is a reviewed decision.',
    '',
    ...sections,
  ].join('\n');
}

function print(printer: ts.Printer, declaration: ts.Declaration, exportedAs: string): string {
  const source = declaration.getSourceFile();
  let node: ts.Node = declaration;
  if (ts.isVariableDeclaration(declaration)) node = declaration.parent.parent;
  if (ts.isClassDeclaration(declaration)) {
    node = ts.factory.updateClassDeclaration(
      declaration,
      declaration.modifiers,
      declaration.name,
      declaration.typeParameters,
      declaration.heritageClauses,
      declaration.members.filter(
        (member) =>
          !ts.getCombinedModifierFlags(member as ts.Declaration) ||
          !(ts.getCombinedModifierFlags(member as ts.Declaration) & ts.ModifierFlags.Private),
      ),
    );
  }
  const text = printer.printNode(ts.EmitHint.Unspecified, node, source);
  const declaredAs = ts.getNameOfDeclaration(declaration)?.getText(source);
  return declaredAs && declaredAs !== exportedAs ? `// exported as ${exportedAs}\n${text}` : text;
}

// `npm run api:report` rewrites the committed report.
if (process.argv.includes('--write') && import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(API_REPORT, renderApiReport());
  console.log(`wrote ${API_REPORT}`);
}

/** The committed report. */
export function committedApiReport(): string {
  return readFileSync(API_REPORT, 'utf8');
}
