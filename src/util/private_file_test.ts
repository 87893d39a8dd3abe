import {
  deepStrictEqual as assertEquals,
  ok as assert,
  rejects as assertRejects,
} from "node:assert/strict";
import { openPrivateAppend, replaceFileSync, UnsafeFileError } from "./private_file.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "private-file-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test("openPrivateAppend() creates the file 0600 and appends", async () => {
  await inTempDir(async (dir) => {
    for (const line of ["a\n", "b\n"]) {
      const file = await openPrivateAppend(`${dir}/log`);
      await file.write(new TextEncoder().encode(line));
      file.close();
    }
    assertEquals(await Deno.readTextFile(`${dir}/log`), "a\nb\n");
    assertEquals(await mode(`${dir}/log`), 0o600);
  });
});

Deno.test("openPrivateAppend() refuses a symlink and leaves its target alone", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/target`, "t\n");
    await Deno.symlink(`${dir}/target`, `${dir}/log`);
    await assertRejects(openPrivateAppend(`${dir}/log`), UnsafeFileError);
    await Deno.symlink(`${dir}/none`, `${dir}/dangling`);
    await assertRejects(openPrivateAppend(`${dir}/dangling`), /symbolic link/);
    assertEquals(await Deno.readTextFile(`${dir}/target`), "t\n");
    assertEquals(await Deno.lstat(`${dir}/none`).catch(() => null), null);
  });
});

Deno.test("openPrivateAppend() makes our 0644 file 0600; refuses a directory and another uid's file", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/log`;
    await Deno.writeTextFile(path, "old\n", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    (await openPrivateAppend(path)).close();
    assertEquals(await mode(path), 0o600);
    await assertRejects(openPrivateAppend(dir), /is not a file/);
    const ours = (await Deno.stat(path)).uid!;
    await assertRejects(openPrivateAppend(path, { uid: ours + 1 }), /belongs to uid/);
  });
});

Deno.test("replaceFileSync() writes the mode asked through a fresh name and leaves nothing else", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/conf`;
    await Deno.symlink(`${dir}/victim`, `${path}.tmp`);
    replaceFileSync(path, new TextEncoder().encode("x\n"), 0o644);
    assertEquals(await Deno.readTextFile(path), "x\n");
    assertEquals(await mode(path), 0o644);
    replaceFileSync(path, new TextEncoder().encode("y\n"), 0o600);
    assertEquals(await mode(path), 0o600);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), ["conf", "conf.tmp"]);
    assert((await Deno.lstat(`${path}.tmp`)).isSymlink, "the planted link is not followed");
    assertEquals(await Deno.lstat(`${dir}/victim`).catch(() => null), null);
  });
});
