/**
 * What a Lambda's bundle can call: a static reading of `functions/` with the TypeScript compiler, for the
 * IAM test (iam-grants.test.ts), which maps what it finds to IAM actions.
 *
 * From a function's entry it follows the value imports (type-only ones are not bundled) and finds the code
 * that can run: every module's top-level statements, then, transitively, each top-level function, class and
 * class method something live refers to (resolved by the type checker, as esbuild's tree-shaking keeps
 * functions; unlike esbuild, per method: `ParkingLot.get` is in the worker's bundle but only `npm run ops`
 * calls it). A method called through an interface, or through a value the checker cannot type, counts as
 * called on every live class with a method of that name (assignable to the receiver's type when known), so
 * the reading errs towards "called"; so do methods a library or the runtime calls (an `override`, a computed
 * name such as `[Symbol.asyncIterator]`, `toJSON`, the methods of a class implementing a library's
 * interface). In that live code it reports every use of a value exported by a tracked package
 * (`@aws-sdk/*`, `@aws-lambda-powertools/*`, `@smithy/*`), and of the local modules that send hand-signed
 * requests, with the place it is used (`site`).
 *
 * What it cannot see: a method reached only by a computed name (`obj[name]()`), and code loaded by a path
 * that is not a string literal. The functions have neither.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../../lib/constructs/service-function.js';

/** One use, in code that can run, of a value from a tracked package or local module. */
export interface TrackedUse {
  /**
   * Where: the file and the chain of named declarations around the use, outermost first
   * (`functions/worker.ts › createWorkerHandler › delayRedelivery`, `functions/ledger/parking-lot.ts ›
   * ParkingLot.park`); `(module)` for top-level code.
   */
  readonly site: string;
  /** The package (`@aws-sdk/client-sqs`), or the local module's path (`functions/platform/signed-request.ts`). */
  readonly from: string;
  /** The exported name (`SendMessageCommand`); `*` for a dynamic `import()` of the module. */
  readonly name: string;
  /** Constructed, called, dynamically imported, or only referenced (a type guard, a static member…). */
  readonly use: 'new' | 'call' | 'import()' | 'reference';
  /** With `new`/`call` and an object literal as first argument: its top-level properties and their text. */
  readonly options: Readonly<Record<string, string>>;
  /** Every property name anywhere in that object literal (`TransactItems[].Put`…). */
  readonly optionKeys: readonly string[];
  /** The string literals of the innermost named declaration around the use (evidence of a hand-signed request). */
  readonly siteLiterals: readonly string[];
}

export interface FunctionCode {
  /** Every file of the entry's import closure (value imports only), relative to the project root. */
  readonly files: readonly string[];
  /** The tracked uses in live code, sorted. */
  readonly uses: readonly TrackedUse[];
  /**
   * The live top-level functions, classes and class methods (`functions/ledger/parking-lot.ts ›
   * ParkingLot.park`), sorted; a file's top-level code is live whenever the file is in {@link files}.
   */
  readonly live: readonly string[];
}

export interface AnalysisOptions {
  /** Packages whose values are reported. */
  readonly trackedPackages: RegExp;
  /** Local modules (relative to the project root) whose exports are reported, e.g. the signed-request sender. */
  readonly trackedModules: readonly string[];
  /**
   * Replaced (or added) file contents, by path relative to the project root: the test's proof that a new call
   * is seen, without touching the sources.
   */
  readonly overrides?: Readonly<Record<string, string>>;
}

const rel = (fileName: string): string => relative(projectRoot, fileName).split('\\').join('/');

const compilerOptions = (): ts.CompilerOptions => {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(projectRoot, 'tsconfig.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error('tsconfig.json could not be read');
  // The functions' own types: no jest globals.
  return { ...config.options, types: ['node'], noEmit: true };
};

/** Parsed files, shared by the programs of one test run: parsing the SDK's declarations is most of the work. */
const parsed = new Map<string, ts.SourceFile>();

const programFor = (entries: readonly string[], overrides: Readonly<Record<string, string>>): ts.Program => {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  // Types come from TypeScript syntax here, never from JSDoc.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseNone;
  const replaced = new Map(Object.entries(overrides).map(([path, text]) => [join(projectRoot, path), text]));
  const { getSourceFile, readFile, fileExists } = host;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = replaced.get(fileName);
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true);
    const cached = parsed.get(fileName);
    if (cached !== undefined) return cached;
    const file = getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
    if (file !== undefined) parsed.set(fileName, file);
    return file;
  };
  host.readFile = (fileName) => replaced.get(fileName) ?? readFile.call(host, fileName);
  host.fileExists = (fileName) => replaced.has(fileName) || fileExists.call(host, fileName);
  return ts.createProgram({ rootNames: entries.map((entry) => join(projectRoot, entry)), options, host });
};

/** The package a declaration file belongs to: `…/node_modules/@aws-sdk/client-sqs/dist-types/…` → `@aws-sdk/client-sqs`. */
const packageOf = (fileName: string): string | undefined => {
  const index = fileName.lastIndexOf('/node_modules/');
  if (index < 0) return undefined;
  const parts = fileName.slice(index + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
};

const isGlobalDeclaration = (fileName: string): boolean =>
  /\/node_modules\/(typescript\/lib|@types)\//.test(fileName);

const isFunctionValue = (node: ts.Node | undefined): boolean => {
  let inner = node;
  while (
    inner !== undefined &&
    (ts.isParenthesizedExpression(inner) || ts.isAsExpression(inner) || ts.isSatisfiesExpression(inner))
  ) {
    inner = inner.expression;
  }
  return inner !== undefined && (ts.isArrowFunction(inner) || ts.isFunctionExpression(inner));
};

const isTopLevelStatement = (node: ts.Node): boolean => ts.isSourceFile(node.parent);

/** A module's own declaration (a class, function or variable it declares at top level), not a member. */
const isTopLevelDeclaration = (node: ts.Node): boolean => {
  const container = ts.isVariableDeclaration(node) ? node.parent.parent.parent : node.parent;
  return container !== undefined && (ts.isSourceFile(container) || ts.isModuleBlock(container));
};

/** A top-level `const x = () => …` (or `function`): a unit of its own, live only when referred to. */
const isTopLevelFunctionVariable = (node: ts.Node): node is ts.VariableDeclaration =>
  ts.isVariableDeclaration(node) &&
  isFunctionValue(node.initializer) &&
  ts.isVariableDeclarationList(node.parent) &&
  ts.isVariableStatement(node.parent.parent) &&
  isTopLevelStatement(node.parent.parent);

const isTopLevelClass = (node: ts.Node): node is ts.ClassDeclaration =>
  ts.isClassDeclaration(node) && isTopLevelStatement(node);

type ClassMember = ts.MethodDeclaration | ts.GetAccessorDeclaration | ts.SetAccessorDeclaration;

const isGatedMember = (node: ts.Node): node is ClassMember =>
  (ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) &&
  isTopLevelClass(node.parent);

const memberName = (member: ts.ClassElement | ts.TypeElement): string | undefined => {
  const name = member.name;
  if (name === undefined) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return undefined;
};

/** Members the runtime or a base class calls without a reference in our code. */
const implicitlyCalled = (member: ClassMember): boolean =>
  member.name === undefined ||
  ts.isComputedPropertyName(member.name) ||
  (ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Override) !== 0 ||
  ['toJSON', 'toString', 'valueOf', 'then'].includes(memberName(member) ?? '');

const nameOfDeclaration = (node: ts.Node): string | undefined => {
  if (ts.isFunctionDeclaration(node) && node.name) return node.name.text;
  if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && isFunctionValue(node.initializer)) {
    return node.name.text;
  }
  if (ts.isPropertyAssignment(node) && isFunctionValue(node.initializer)) return node.name.getText();
  if (ts.isMethodDeclaration(node) && ts.isObjectLiteralExpression(node.parent)) return node.name.getText();
  if (
    ts.isMethodDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isPropertyDeclaration(node)
  ) {
    const owner = ts.isClassLike(node.parent) ? (node.parent.name?.text ?? '(class)') : '(object)';
    return `${owner}.${ts.isConstructorDeclaration(node) ? 'constructor' : node.name.getText()}`;
  }
  return undefined;
};

/** The site of a node: its file and the named declarations around it, outermost first. */
const siteOf = (node: ts.Node): { site: string; innermost: ts.Node | undefined } => {
  const names: string[] = [];
  let innermost: ts.Node | undefined;
  for (let current: ts.Node | undefined = node.parent; current; current = current.parent) {
    const name = nameOfDeclaration(current);
    if (name !== undefined) {
      names.unshift(name);
      innermost ??= current;
    }
  }
  const path = rel(node.getSourceFile().fileName);
  return { site: [path, ...(names.length === 0 ? ['(module)'] : names)].join(' › '), innermost };
};

const stringLiteralsIn = (node: ts.Node): string[] => {
  const found = new Set<string>();
  const visit = (child: ts.Node) => {
    if (ts.isStringLiteral(child) || ts.isNoSubstitutionTemplateLiteral(child)) found.add(child.text);
    ts.forEachChild(child, visit);
  };
  visit(node);
  return [...found].sort();
};

const optionsOf = (
  args: ts.NodeArray<ts.Expression> | undefined,
): Pick<TrackedUse, 'options' | 'optionKeys'> => {
  const first = args?.[0];
  if (first === undefined || !ts.isObjectLiteralExpression(first)) return { options: {}, optionKeys: [] };
  const options: Record<string, string> = {};
  for (const property of first.properties) {
    if (ts.isPropertyAssignment(property)) options[property.name.getText()] = property.initializer.getText();
    else if (ts.isShorthandPropertyAssignment(property)) options[property.name.text] = property.name.text;
  }
  const keys = new Set<string>();
  const visit = (child: ts.Node) => {
    if ((ts.isPropertyAssignment(child) || ts.isShorthandPropertyAssignment(child)) && child.name) {
      keys.add(child.name.getText());
    }
    ts.forEachChild(child, visit);
  };
  visit(first);
  return { options, optionKeys: [...keys].sort() };
};

const compareUses = (a: TrackedUse, b: TrackedUse): number =>
  a.site.localeCompare(b.site) || a.from.localeCompare(b.from) || a.name.localeCompare(b.name);

/** Reads one function's live code from its entry (`functions/worker.ts`). */
const analyseEntry = (program: ts.Program, entry: string, options: AnalysisOptions): FunctionCode => {
  const checker = program.getTypeChecker();
  const compiler = program.getCompilerOptions();
  // The project's own sources (`functions/`, and anything else of the repository they import).
  const isOurs = (fileName: string): boolean =>
    fileName.startsWith(projectRoot) && !fileName.includes('/node_modules/');
  const trackedModules = new Set(options.trackedModules);

  const sourceFile = (path: string): ts.SourceFile => {
    const found = program.getSourceFile(path);
    if (found === undefined) throw new Error(`${rel(path)} is not part of the program`);
    return found;
  };

  // 1. The import closure: value imports and re-exports of local modules, and local dynamic imports.
  const resolveLocal = (from: ts.SourceFile, specifier: string): string | undefined => {
    const resolved = ts.resolveModuleName(specifier, from.fileName, compiler, ts.sys).resolvedModule;
    if (resolved === undefined || resolved.isExternalLibraryImport) return undefined;
    return isOurs(resolved.resolvedFileName) ? resolved.resolvedFileName : undefined;
  };
  const isTypeOnlyImport = (node: ts.ImportDeclaration | ts.ExportDeclaration): boolean => {
    if (ts.isExportDeclaration(node)) return node.isTypeOnly;
    const clause = node.importClause;
    if (clause === undefined) return false;
    if (clause.isTypeOnly) return true;
    if (clause.name !== undefined) return false;
    const bindings = clause.namedBindings;
    return (
      bindings !== undefined &&
      ts.isNamedImports(bindings) &&
      bindings.elements.length > 0 &&
      bindings.elements.every((element) => element.isTypeOnly)
    );
  };
  const closure = new Set<string>();
  const pending = [join(projectRoot, entry)];
  while (pending.length > 0) {
    const fileName = pending.pop() as string;
    if (closure.has(fileName)) continue;
    closure.add(fileName);
    const file = sourceFile(fileName);
    const visit = (node: ts.Node) => {
      if (
        (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
        node.moduleSpecifier !== undefined &&
        ts.isStringLiteral(node.moduleSpecifier) &&
        !isTypeOnlyImport(node)
      ) {
        const target = resolveLocal(file, node.moduleSpecifier.text);
        if (target !== undefined) pending.push(target);
      }
      if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        const target = resolveLocal(file, node.arguments[0].text);
        if (target !== undefined) pending.push(target);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  // 2. Live code: a worklist of units (a file's top-level code, a top-level function, a class's
  //    construction, a class method).
  type Unit =
    | ts.SourceFile
    | ts.FunctionDeclaration
    | ts.VariableDeclaration
    | ts.ClassDeclaration
    | ClassMember;
  const live = new Set<Unit>();
  const work: Unit[] = [];
  const liveClasses = new Set<ts.ClassDeclaration>();
  /**
   * Method names called through an interface or an untyped value, with the receivers' types when known
   * (`undefined` among them: any receiver).
   */
  const dispatches = new Map<string, Set<ts.Type | undefined>>();
  const uses = new Map<string, TrackedUse>();

  const markLive = (unit: Unit) => {
    if (!isOurs(unit.getSourceFile().fileName) || live.has(unit)) return;
    live.add(unit);
    work.push(unit);
    if (ts.isClassDeclaration(unit)) {
      liveClasses.add(unit);
      // A class implementing a library's interface is called by that library: all its methods count.
      const forLibrary = (unit.heritageClauses ?? [])
        .filter((clause) => clause.token === ts.SyntaxKind.ImplementsKeyword)
        .flatMap((clause) => clause.types)
        .some((type) =>
          (checker.getSymbolAtLocation(type.expression)?.declarations ?? []).some(
            (declaration) => !isOurs(declaration.getSourceFile().fileName),
          ),
        );
      for (const member of unit.members) {
        if (isGatedMember(member) && (forLibrary || implicitlyCalled(member))) markLive(member);
      }
    }
  };

  const classMembersNamed = (cls: ts.ClassDeclaration, name: string): ClassMember[] =>
    cls.members.filter(
      (member): member is ClassMember => isGatedMember(member) && memberName(member) === name,
    );

  const instanceType = (cls: ts.ClassDeclaration): ts.Type | undefined => {
    const symbol = cls.name === undefined ? undefined : checker.getSymbolAtLocation(cls.name);
    return symbol === undefined ? undefined : checker.getDeclaredTypeOfSymbol(symbol);
  };

  const dispatch = (name: string, receiverOf: () => ts.Type | undefined) => {
    const receiver = receiverOf();
    const precise =
      receiver !== undefined &&
      (receiver.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) === 0
        ? receiver
        : undefined;
    const receivers = dispatches.get(name) ?? new Set();
    receivers.add(precise);
    dispatches.set(name, receivers);
  };
  const anyReceiver = (): undefined => undefined;

  /** Marks what a declaration our code refers to makes live. */
  const referTo = (declaration: ts.Declaration, receiver: () => ts.Type | undefined) => {
    if (!isOurs(declaration.getSourceFile().fileName)) return;
    if (ts.isFunctionDeclaration(declaration) && isTopLevelStatement(declaration)) markLive(declaration);
    else if (isTopLevelFunctionVariable(declaration)) markLive(declaration);
    else if (isTopLevelClass(declaration)) markLive(declaration);
    else if (isGatedMember(declaration)) {
      markLive(declaration.parent as ts.ClassDeclaration);
      markLive(declaration);
    } else if (
      (ts.isMethodSignature(declaration) || ts.isPropertySignature(declaration)) &&
      memberName(declaration) !== undefined
    ) {
      dispatch(memberName(declaration) as string, receiver);
    } else if (ts.isPropertyDeclaration(declaration) || ts.isConstructorDeclaration(declaration)) {
      if (isTopLevelClass(declaration.parent)) markLive(declaration.parent);
    }
  };

  const recordUse = (node: ts.Node, from: string, name: string, use: TrackedUse['use']) => {
    const { site, innermost } = siteOf(node);
    const call = node.parent;
    const args =
      (ts.isNewExpression(call) || ts.isCallExpression(call)) && call.expression === node
        ? call.arguments
        : undefined;
    const entryUse: TrackedUse = {
      site,
      from,
      name,
      use,
      ...optionsOf(args),
      siteLiterals: trackedModules.has(from) && innermost !== undefined ? stringLiteralsIn(innermost) : [],
    };
    uses.set(JSON.stringify([site, from, name, use, node.getStart()]), entryUse);
  };

  const useKind = (node: ts.Node): TrackedUse['use'] => {
    const parent = node.parent;
    if (ts.isNewExpression(parent) && parent.expression === node) return 'new';
    if (ts.isCallExpression(parent) && parent.expression === node) return 'call';
    return 'reference';
  };

  const onIdentifier = (node: ts.Identifier | ts.PrivateIdentifier) => {
    const parent = node.parent;
    let symbol: ts.Symbol | undefined;
    if (ts.isShorthandPropertyAssignment(parent) && parent.name === node) {
      symbol = checker.getShorthandAssignmentValueSymbol(parent);
    } else if (ts.isBindingElement(parent) && ts.isObjectBindingPattern(parent.parent)) {
      // `const { park } = lot`: the property of the destructured value.
      const property = parent.propertyName ?? parent.name;
      if (property !== node || !ts.isIdentifier(property)) {
        symbol = checker.getSymbolAtLocation(node);
      } else {
        const type = checker.getTypeAtLocation(parent.parent);
        symbol = type.getProperty(property.text);
        if (symbol === undefined) dispatch(property.text, anyReceiver);
      }
    } else {
      symbol = checker.getSymbolAtLocation(node);
    }
    // Only needed for a call through an interface: computed then (typing every receiver is slow).
    const receiver = () =>
      ts.isPropertyAccessExpression(parent) && parent.name === node
        ? checker.getTypeAtLocation(parent.expression)
        : undefined;
    if (symbol === undefined) {
      if (ts.isPropertyAccessExpression(parent) && parent.name === node) dispatch(node.text, receiver);
      return;
    }
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const declarations = target.declarations ?? [];
    // A global (`ReadableStream`, `Buffer`), even where a package also declares it: not that package's value.
    if (declarations.some((declaration) => isGlobalDeclaration(declaration.getSourceFile().fileName))) return;
    for (const declaration of declarations) {
      const fileName = declaration.getSourceFile().fileName;
      const pkg = packageOf(fileName);
      if (pkg !== undefined) {
        // A value a tracked package exports (not a member of one: `client.send` is not a use of its own).
        if (
          options.trackedPackages.test(pkg) &&
          (target.flags & ts.SymbolFlags.Value) !== 0 &&
          isTopLevelDeclaration(declaration)
        ) {
          recordUse(node, pkg, target.name, useKind(node));
        }
        break;
      }
      const path = rel(fileName);
      if (trackedModules.has(path) && isTopLevelDeclaration(declaration)) {
        recordUse(node, path, target.name, useKind(node));
      }
      referTo(declaration, receiver);
    }
  };

  /** Walks code (never types: a type mentioned runs nothing). */
  const walk = (node: ts.Node) => {
    if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (ts.isHeritageClause(node) && node.token === ts.SyntaxKind.ImplementsKeyword) return;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
      onIdentifier(node);
      return;
    }
    if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      const specifier = node.arguments[0].text;
      const local = resolveLocal(node.getSourceFile(), specifier);
      if (local !== undefined) markLive(sourceFile(local));
      else {
        const pkg = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0];
        if (pkg !== undefined && options.trackedPackages.test(pkg)) recordUse(node, pkg, '*', 'import()');
      }
    }
    ts.forEachChild(node, walk);
  };

  const walkUnit = (unit: Unit) => {
    if (ts.isSourceFile(unit)) {
      for (const statement of unit.statements) {
        if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) continue;
        if (ts.isVariableStatement(statement)) {
          for (const declaration of statement.declarationList.declarations) {
            if (!isFunctionValue(declaration.initializer) && declaration.initializer)
              walk(declaration.initializer);
          }
          continue;
        }
        walk(statement);
      }
    } else if (ts.isClassDeclaration(unit)) {
      for (const clause of unit.heritageClauses ?? []) walk(clause);
      for (const member of unit.members) if (!isGatedMember(member)) walk(member);
    } else if (ts.isVariableDeclaration(unit)) {
      if (unit.initializer) walk(unit.initializer);
    } else {
      for (const parameter of unit.parameters) walk(parameter);
      if (unit.body) walk(unit.body);
    }
  };

  for (const fileName of closure) markLive(sourceFile(fileName));
  for (;;) {
    while (work.length > 0) walkUnit(work.pop() as Unit);
    // Calls by name: every live class's method of that name whose class fits the receiver (again each round:
    // a class made live by the last round may have one).
    for (const [name, receivers] of dispatches) {
      for (const cls of liveClasses) {
        const members = classMembersNamed(cls, name).filter((member) => !live.has(member));
        if (members.length === 0) continue;
        const type = instanceType(cls);
        const fits = [...receivers].some(
          (receiver) =>
            receiver === undefined || type === undefined || checker.isTypeAssignableTo(type, receiver),
        );
        if (fits) for (const member of members) markLive(member);
      }
    }
    if (work.length === 0) break;
  }

  return {
    files: [...closure].map(rel).sort(),
    uses: [...uses.values()].sort(compareUses),
    live: [...live]
      .filter((unit) => !ts.isSourceFile(unit))
      .map((unit) => {
        const name = ts.isClassDeclaration(unit) ? unit.name?.text : nameOfDeclaration(unit);
        return `${rel(unit.getSourceFile().fileName)} › ${name ?? '(anonymous)'}`;
      })
      .sort(),
  };
};

/**
 * What each function's live code uses of the tracked packages and modules.
 *
 * @param entries function name → entry file relative to the project root (`functions/worker.ts`)
 */
export const analyseFunctions = <K extends string>(
  entries: Readonly<Record<K, string>>,
  options: AnalysisOptions,
): Record<K, FunctionCode> => {
  const program = programFor(Object.values(entries) as string[], options.overrides ?? {});
  return Object.fromEntries(
    (Object.entries(entries) as [K, string][]).map(([name, entry]) => [
      name,
      analyseEntry(program, entry, options),
    ]),
  ) as Record<K, FunctionCode>;
};

/** A source file's text, for overrides built from the real file. */
export const sourceText = (path: string): string => readFileSync(join(projectRoot, path), 'utf8');
