// Every relative link in README.md, docs/ and examples/ resolves: the file exists inside the
// repository and a #anchor names a heading there. The checker (test/harness/doc-links.ts) is first
// tested on small texts, so a checker that finds nothing cannot pass for a clean tree.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkLinks, describeBroken, findLinks, githubSlug, headingIds, markdownFiles,
} from '../harness/doc-links.js';

// dist/test/unit → the repository root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('doc links: the checker', () => {
  it('makes GitHub heading ids: lower case, punctuation dropped except - and _, spaces to -', () => {
    assert.equal(githubSlug('The file-system side'), 'the-file-system-side');
    assert.equal(githubSlug('`haveRestart(): Promise<string | null>`'), 'haverestart-promisestring--null');
    assert.equal(githubSlug('Cache index (`cindex.scr`)'), 'cache-index-cindexscr');
    assert.equal(githubSlug('SCR_HALT_ON_TERM and [scancel](x.md)'), 'scr_halt_on_term-and-scancel');
    assert.equal(githubSlug('Reed–Solomon: GF(2^8)'), 'reedsolomon-gf28');
    // an escaped < is text, an unescaped tag is HTML and dropped, a code span is literal
    assert.equal(githubSlug('init(opts?) → Promise\\<void>'), 'initopts--promisevoid');
    assert.equal(githubSlug('A <em>tag</em> here'), 'a-tag-here');
    assert.equal(githubSlug('Index (`<prefix>/.scr/index.scr`)'), 'index-prefixscrindexscr');
  });

  it('numbers duplicate headings -1, -2 and ignores headings inside code', () => {
    const ids = headingIds('# Options\n\n## Options\n\n```\n# Not a heading\n```\n\n    # nor this\n\n### Options\nSetext\n======\n');
    assert.deepEqual([...ids].sort(), ['options', 'options-1', 'options-2', 'setext']);
  });

  it('finds inline links and reference definitions outside code, with their lines', () => {
    const links = findLinks('See [a](a.md) and `[b](b.md)`.\n\n    [c](c.md)\n\n```\n[d](d.md)\n```\n- item\n    [e](e.md#x "t")\n\n[ref]: f.md\n');
    assert.deepEqual(links, [
      { line: 1, target: 'a.md' }, { line: 9, target: 'e.md#x' }, { line: 11, target: 'f.md' },
    ]);
  });

  it('reports missing files, missing anchors, links out of the repository and absolute paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scr-doc-links-'));
    try {
      mkdirSync(join(dir, 'docs'));
      writeFileSync(join(dir, 'docs', 'a.md'), '# A\n\n## Part two\n');
      writeFileSync(join(dir, 'README.md'), [
        '# Top', '',
        '[ok](docs/a.md) [ok](docs/a.md#part-two) [ok](#top) [ok](docs/) [web](https://example.org/x.md)',
        '[gone](docs/b.md)',
        '[anchor](docs/a.md#part-three) [self](#nowhere)',
        '[out](../shared/SPEC.md) [abs](/work/shared/SPEC.md)',
      ].join('\n'));
      const broken = checkLinks(dir, markdownFiles(dir));
      assert.deepEqual(broken.map((b) => `${b.file}:${b.line}: ${b.target}`), [
        'README.md:4: docs/b.md',
        'README.md:5: docs/a.md#part-three',
        'README.md:5: #nowhere',
        'README.md:6: ../shared/SPEC.md',
        'README.md:6: /work/shared/SPEC.md',
      ]);
      assert.match(describeBroken(broken), /README\.md:6: \.\.\/shared\/SPEC\.md — leaves the repository/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('doc links: this repository', () => {
  it('checks README.md and every Markdown file under docs/ and examples/', () => {
    const files = markdownFiles(root);
    assert.ok(files.includes('README.md'), `README.md not found under ${root}`);
    for (const f of ['docs/api.md', 'docs/commands.md', 'docs/formats.md', 'docs/contract.md']) {
      assert.ok(files.includes(f), `${f} not among the checked files: ${files.join(', ')}`);
    }
  });

  it('has no broken relative link (file:line: link — reason)', () => {
    const broken = checkLinks(root, markdownFiles(root));
    assert.equal(broken.length, 0, `${broken.length} broken link(s):\n${describeBroken(broken)}`);
  });
});
