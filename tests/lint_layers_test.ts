import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import {
  checkLayers,
  edgesFromDenoInfo,
  EXCEPTIONS,
  formatViolation,
  hasComputedImport,
  type ImportEdge,
  layerOf,
  LAYERS,
} from "./lint_layers.ts";

function rules(edges: ImportEdge[]): string[] {
  return checkLayers(edges).map(formatViolation);
}

Deno.test("LAYERS: every allowed import has a lower rank than its importer", () => {
  for (const layer of LAYERS) {
    if (layer.mayImport === "anything") continue;
    for (const target of [...layer.mayImport, ...(layer.typeOnly ?? [])]) {
      const owner = layerOf(target);
      assert(owner, `${target} (allowed for ${layer.path}) is in no row`);
      assert(owner.rank < layer.rank, `${layer.path} → ${target} is not downward`);
    }
  }
});

Deno.test("LAYERS: paths are unique and exceptions name known rows", () => {
  const paths = LAYERS.map((l) => l.path);
  assertEquals(new Set(paths).size, paths.length);
  for (const e of EXCEPTIONS) {
    assert(layerOf(e.from), `exception source ${e.from}`);
    assert(layerOf(e.to), `exception target ${e.to}`);
  }
});

Deno.test("layerOf() picks the folder, subfolders included", () => {
  assertEquals(layerOf("src/scd/commands/pksign.ts")?.path, "src/scd/");
  assertEquals(layerOf("src/log.ts")?.path, "src/log.ts");
  assertEquals(layerOf("main.ts")?.rank, 7);
  assertEquals(layerOf("src/logs/x.ts"), undefined);
  assertEquals(layerOf("tests/bed/pcscd.ts"), undefined);
});

Deno.test("checkLayers() accepts same-folder, downward facade and named-file imports", () => {
  assertEquals(
    rules([
      { from: "src/scd/commands/pksign.ts", to: "src/scd/command.ts" },
      { from: "src/scd/table.ts", to: "src/openpgp/mod.ts" },
      { from: "src/pcsc/card.ts", to: "ffi/mod.ts" },
      { from: "src/openpgp/session.ts", to: "src/util/bytes.ts" }, // src/util has no facade
      { from: "src/virtual/applet.ts", to: "src/iso7816/sw.ts" }, // named in the table
      { from: "src/iso7816/processors.ts", to: "src/pcsc/channel.ts", typeOnly: true },
      { from: "main.ts", to: "src/virtual/mod.ts", dynamic: true },
      { from: "main.ts", to: "deno.json" },
    ]),
    [],
  );
});

Deno.test("checkLayers() rejects upward and sideways imports with both ranks", () => {
  assertEquals(rules([{ from: "src/iso7816/apdu.ts", to: "src/openpgp/mod.ts" }]), [
    "src/iso7816/apdu.ts → src/openpgp/mod.ts: src/iso7816/ (rank 3) may not import " +
    "src/openpgp/ (rank 5)",
  ]);
  assertEquals(rules([{ from: "src/util/bytes.ts", to: "src/gpg_error/mod.ts" }]), [
    "src/util/bytes.ts → src/gpg_error/mod.ts: src/util/ (rank 0) may not import " +
    "src/gpg_error/ (rank 0)",
  ]);
  // not in src/probe's row even though the rank is lower
  assertEquals(rules([{ from: "src/probe/run.ts", to: "src/assuan/mod.ts" }]).length, 1);
  assertEquals(rules([{ from: "src/pcsc/card.ts", to: "src/log.ts" }]), [
    "src/pcsc/card.ts → src/log.ts: src/pcsc/ (rank 2) may not import src/log.ts (rank 7)",
  ]);
});

Deno.test("checkLayers() demands mod.ts for cross-folder imports", () => {
  assertEquals(rules([{ from: "src/openpgp/ard.ts", to: "src/iso7816/tlv.ts" }]), [
    "src/openpgp/ard.ts → src/iso7816/tlv.ts: cross-folder import must go through " +
    "src/iso7816/mod.ts",
  ]);
  // main.ts may import anything, but still through the facade
  assertEquals(rules([{ from: "main.ts", to: "src/scd/apdu_log.ts" }]), [
    "main.ts → src/scd/apdu_log.ts: cross-folder import must go through src/scd/mod.ts",
  ]);
});

Deno.test("checkLayers() keeps _files private to their folder", () => {
  assertEquals(rules([{ from: "src/scd/commands/lock_test.ts", to: "src/scd/_testing.ts" }]), []);
  assertEquals(rules([{ from: "tests/integration/x_test.ts", to: "src/scd/_testing.ts" }]), [
    "tests/integration/x_test.ts → src/scd/_testing.ts: _testing.ts is private to src/scd/",
  ]);
  assertEquals(rules([{ from: "tests/e2e/a_test.ts", to: "tests/integration/_fixture.ts" }]), [
    "tests/e2e/a_test.ts → tests/integration/_fixture.ts: _fixture.ts is private to " +
    "tests/integration/",
  ]);
});

Deno.test("checkLayers() allows the channel type but not its value", () => {
  assertEquals(rules([{ from: "src/virtual/in_process.ts", to: "src/pcsc/channel.ts" }]), [
    "src/virtual/in_process.ts → src/pcsc/channel.ts: src/pcsc/channel.ts may be imported as " +
    "a type only (import type)",
  ]);
  // the type-only allowance is for channel.ts alone
  assertEquals(
    rules([{ from: "src/virtual/in_process.ts", to: "src/pcsc/mod.ts", typeOnly: true }]).length,
    1,
  );
});

Deno.test("checkLayers() never lets src/virtual reach src/openpgp", () => {
  assertEquals(rules([{ from: "src/virtual/applet.ts", to: "src/openpgp/mod.ts" }]), [
    "src/virtual/applet.ts → src/openpgp/mod.ts: src/virtual must never import src/openpgp",
  ]);
  // the virtual card's own tests are bound too; tests elsewhere may import both
  assertEquals(rules([{ from: "src/virtual/applet_test.ts", to: "src/openpgp/aid.ts" }]).length, 1);
  assertEquals(
    rules([
      { from: "tests/integration/x_test.ts", to: "src/openpgp/mod.ts" },
      { from: "tests/integration/x_test.ts", to: "src/virtual/mod.ts" },
    ]),
    [],
  );
  // through a folder the table allows: reported where the import leaves src/virtual
  const via = rules([
    { from: "src/virtual/applet.ts", to: "src/iso7816/tlv.ts" },
    { from: "src/iso7816/tlv.ts", to: "src/iso7816/apdu.ts" },
    { from: "src/iso7816/apdu.ts", to: "src/openpgp/mod.ts" },
  ]);
  assert(
    via.includes(
      "src/virtual/applet.ts → src/iso7816/tlv.ts: src/virtual must never import src/openpgp " +
        "(via src/iso7816/tlv.ts → src/iso7816/apdu.ts → src/openpgp/mod.ts)",
    ),
    via.join("\n"),
  );
});

Deno.test("checkLayers() rules for openpgp → ffi, test code and unknown folders", () => {
  assertEquals(rules([{ from: "src/openpgp/session.ts", to: "ffi/mod.ts" }]), [
    "src/openpgp/session.ts → ffi/mod.ts: src/openpgp must not import ffi/",
  ]);
  assertEquals(rules([{ from: "src/scd/cards.ts", to: "tests/bed/pcscd.ts" }]), [
    "src/scd/cards.ts → tests/bed/pcscd.ts: product code must not import test code",
  ]);
  assertEquals(
    checkLayers([], { files: ["src/extra/x.ts", "src/extra/x_test.ts", "tests/y.ts"] })
      .map(formatViolation),
    ["src/extra/x.ts: file is in no row of the rank table (LAYERS)"],
  );
  // tests are exempt from the rank rule and the facade rule
  assertEquals(rules([{ from: "tests/integration/a_test.ts", to: "src/iso7816/tlv.ts" }]), []);
  assertEquals(rules([{ from: "src/util/bytes_test.ts", to: "src/openpgp/aid.ts" }]), []);
});

Deno.test("checkLayers() honours the listed exceptions only for their files", () => {
  assertEquals(rules([{ from: "src/scd/errors.ts", to: "src/iso7816/mod.ts" }]), []);
  assertEquals(rules([{ from: "src/scd/table.ts", to: "src/iso7816/mod.ts" }]).length, 1);
  assertEquals(rules([{ from: "src/scd/commands/restart.ts", to: "src/log.ts" }]), []);
});

Deno.test("edgesFromDenoInfo() keeps project edges, type-only and dynamic flags", () => {
  const root = "file:///p/";
  const { edges, problems } = edgesFromDenoInfo({
    modules: [
      {
        specifier: "file:///p/main.ts",
        dependencies: [
          { code: { specifier: "file:///p/src/scd/mod.ts" }, isDynamic: true },
          { type: { specifier: "file:///p/src/pcsc/mod.ts" } },
          { code: { specifier: "npm:/@noble/curves@2.4.0/nist.js" } },
          { code: { error: 'Module not found "file:///p/gone.ts"' } },
        ],
      },
      { specifier: "npm:/@noble/curves@2.4.0/nist.js" },
      { specifier: "file:///p/src/broken.ts", error: "Unexpected token" },
    ],
  }, root);
  assertEquals(edges, [
    { from: "main.ts", to: "src/scd/mod.ts", typeOnly: false, dynamic: true },
    { from: "main.ts", to: "src/pcsc/mod.ts", typeOnly: true, dynamic: false },
  ]);
  assertEquals(problems.map(formatViolation), [
    'main.ts: cannot resolve an import: Module not found "file:///p/gone.ts"',
    "src/broken.ts: cannot analyse: Unexpected token",
  ]);
});

Deno.test("hasComputedImport() flags non-literal import() only", () => {
  assertEquals(hasComputedImport('const m = await import("./mod.ts");'), false);
  assertEquals(hasComputedImport("const m = await import(`./a.ts`);"), false);
  assertEquals(hasComputedImport("const m = await import(path);"), true);
  assertEquals(hasComputedImport("await import(`./${name}.ts`);"), true);
  assertEquals(hasComputedImport("await import('./a' + b);"), true);
  assertEquals(hasComputedImport("  // await import(path)\n 0xdb, // key import (3FFF)"), false);
});

Deno.test("checkLayers() reports a product file only tests reach (rule 6)", () => {
  const edges: ImportEdge[] = [
    { from: "main.ts", to: "src/scd/mod.ts" },
    { from: "src/scd/mod.ts", to: "src/util/bytes.ts" },
    { from: "src/scd/x_test.ts", to: "src/scd/_helper.ts" },
    { from: "tests/integration/a_test.ts", to: "src/util/fake.ts" },
  ];
  const found = checkLayers(edges, {
    files: [...new Set(edges.flatMap((e) => [e.from, e.to]))],
    entries: ["main.ts"],
  }).map(formatViolation);
  assertEquals(found, [
    "src/scd/_helper.ts: no entry point reaches this product file: test support goes under " +
    "tests/support/",
    "src/util/fake.ts: no entry point reaches this product file: test support goes under " +
    "tests/support/",
  ]);
});
