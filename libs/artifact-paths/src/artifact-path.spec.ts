import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MlflowError } from '@logbook/platform';
import { resolveArtifactPath, resolveListPrefix } from './artifact-path';

function assertRefused(payloads: readonly string[]): void {
  for (const raw of payloads) {
    assert.throws(
      () => resolveArtifactPath(raw),
      (error: unknown) =>
        error instanceof MlflowError &&
        error.errorCode === 'INVALID_PARAMETER_VALUE' &&
        error.httpStatus === 400 &&
        error.message === 'Invalid path',
      `${JSON.stringify(raw)} should be refused`,
    );
  }
}

describe('resolveArtifactPath: accepted paths', () => {
  const cases: Array<[string, string]> = [
    ['model.pkl', 'model.pkl'],
    [
      '7/0b9e7a6c7c3b4b0e9a0c3f0e8a2d1c4b/artifacts/model/MLmodel',
      '7/0b9e7a6c7c3b4b0e9a0c3f0e8a2d1c4b/artifacts/model/MLmodel',
    ],
    ['a//b///c', 'a/b/c'],
    ['./a/./b/', 'a/b'],
    ['dir/', 'dir'],
    ['my file (1).txt', 'my file (1).txt'],
    ['a%20b.txt', 'a b.txt'],
    ['a%2Fb', 'a/b'],
    ['%2541', 'A'],
    ['100%.txt', '100%.txt'],
    ['v1.2.3/model.tar.gz', 'v1.2.3/model.tar.gz'],
    ['.hidden/...', '.hidden/...'],
    ['a..b/..c', 'a..b/..c'],
    ['checkpoint:3/weights', 'checkpoint:3/weights'],
    ['データ/ファイル.csv', 'データ/ファイル.csv'],
    ['r%C3%A9sum%C3%A9.txt', 'résumé.txt'],
    ['ＡＢＣ.txt', 'ＡＢＣ.txt'],
    ['ﬁle.txt', 'ﬁle.txt'],
    ['plots/😀.png', 'plots/😀.png'],
    ['a'.repeat(1024), 'a'.repeat(1024)],
    ['é'.repeat(512), 'é'.repeat(512)],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw.slice(0, 60))} -> ${JSON.stringify(expected.slice(0, 60))}`, () => {
      assert.equal(resolveArtifactPath(raw), expected);
    });
  }

  it('is idempotent, so stores can re-check keys they are given', () => {
    for (const [raw] of cases) {
      const once = resolveArtifactPath(raw);
      assert.equal(resolveArtifactPath(once), once);
    }
  });
});

describe('resolveArtifactPath: refused paths', () => {
  it('refuses empty paths and paths that name the root', () => {
    assertRefused(['', '.', './', './/.', '%2e', 'a/..']);
  });

  it('refuses parent segments', () => {
    assertRefused(['..', '../x', 'a/../b', 'a/b/../../..', './../path', '.. /x', ' ../x', 'a/..\t/b']);
  });

  it('refuses parent segments after percent-decoding, however deep the encoding', () => {
    assertRefused([
      '%2e%2e/x',
      '%2E%2E%2Fetc%2Fpasswd',
      '..%2fetc',
      '.%2e/x',
      '%252e%252e%252fetc%252fpasswd',
      '%25252e%25252e%25252fetc',
      `%${'25'.repeat(12)}2e`,
    ]);
  });

  it('refuses malformed and overlong UTF-8 escapes', () => {
    assertRefused(['..%c0%af..%c0%afetc', '%c0%ae%c0%ae/etc', '%e0%80%ae%e0%80%ae/etc', '%ff', 'a%e3%81']);
  });

  it('refuses absolute, UNC and drive-letter paths and URIs', () => {
    assertRefused([
      '/etc/passwd',
      '/',
      '//server/share/x',
      '%2fetc%2fpasswd',
      'C:\\Windows\\win.ini',
      'C:/Windows/win.ini',
      'c:',
      'file:///etc/passwd',
      'file:/etc/passwd',
      's3://other-bucket/key',
      'http://169.254.169.254/latest/meta-data',
    ]);
  });

  it('refuses backslashes, fragments and path parameters', () => {
    assertRefused(['a\\b', '%5c', '..\\x', 'a#b', 'a%23b', 'a;b', 'a%3bb', 'x;jsessionid=1']);
  });

  it('refuses NUL bytes, control characters and invisible or bidi characters', () => {
    assertRefused([
      'a\u0000b',
      'model.pkl%00.txt',
      'a\nb',
      'a%0d%0ab',
      'a\u007fb',
      'a\u0085b',
      'evil\u202etxt.exe',
      'a\u200bb',
      'a\ufeffb',
      'a\ud800b',
    ]);
  });

  it('refuses Unicode look-alikes of dot, slash and backslash', () => {
    assertRefused([
      '\u2024\u2024/etc/passwd', // ONE DOT LEADER folds to '.'
      '\u2025/etc/passwd', // TWO DOT LEADER folds to '..'
      '\uff0e\uff0e/etc/passwd', // FULLWIDTH FULL STOP
      '\ufe52\ufe52/etc/passwd', // SMALL FULL STOP
      '..\uff0fetc', // FULLWIDTH SOLIDUS folds to '/'
      '..\u2215etc', // DIVISION SLASH, untouched by NFKC
      '..\u2044etc', // FRACTION SLASH, untouched by NFKC
      '..\u29f8etc', // BIG SOLIDUS
      '..\uff3cetc', // FULLWIDTH REVERSE SOLIDUS folds to '\'
      '..\u2216etc', // SET MINUS
      '%ef%bc%8e%ef%bc%8e%ef%bc%8fetc', // the fullwidth form, percent-encoded
      '\uff05\uff12\uff45\uff05\uff12\uff45/x', // fullwidth "%2e%2e"
      'model\uff1b.pkl', // FULLWIDTH SEMICOLON
    ]);
  });

  it('refuses paths longer than 1024 bytes', () => {
    assertRefused(['a'.repeat(1025), `${'a/'.repeat(512)}a`, 'é'.repeat(513), 'x'.repeat(20_000)]);
  });

  it('refuses values that are not strings', () => {
    assertRefused([undefined as unknown as string, 42 as unknown as string, ['a'] as unknown as string]);
  });
});

/**
 * The published MLflow path-traversal payloads, replayed against the artifact path gatekeeper. Where an
 * advisory targeted a model version `source` or an experiment `artifact_location`, the vector is the path
 * part that ended up joined to the artifact root.
 */
describe('resolveArtifactPath: MLflow CVE payloads', () => {
  it('CVE-2023-1177: local file read through get-artifact and a file: model source', () => {
    assertRefused(['../../../../../../etc/passwd', '/etc/passwd', 'file:///etc/passwd', 'file:///etc/']);
  });

  it('CVE-2023-2356: relative traversal inside source URIs', () => {
    assertRefused([
      'models/../../../',
      'mlflow-artifacts://host:9000/models/../../../',
      'http://host:9000/models/../../../',
      'api/2.0/mlflow-artifacts/artifacts/../../../',
      'mlflow-artifacts:/models/..%2f..%2fartifacts',
    ]);
  });

  it('CVE-2023-2780: backslash traversal', () => {
    assertRefused([
      '\\..\\..\\..\\etc\\passwd',
      '..\\..\\..\\etc\\passwd',
      'models\\..\\..\\secret',
      '%5c..%5c..%5cetc',
    ]);
  });

  // No CVE of its own: MLflow closed this vector in 2.9.2 (mlflow/mlflow#10653).
  it('traversal smuggled through a query string', () => {
    assertRefused(['bar?/../../../../etc/passwd', '?../../../../etc', 'bar%3f/../../../../etc']);
  });

  it('CVE-2023-6831: delete-artifact traversal (the payloads from MLflow regression tests)', () => {
    assertRefused([
      '/path',
      'path/../to/file',
      '/etc/passwd',
      '/etc/passwd%00.jpg',
      '/file://etc/passwd',
      '%2E%2E%2F%2E%2E%2Fpath',
    ]);
  });

  it('CVE-2023-6909: traversal hidden in a URL fragment', () => {
    assertRefused(['http://host#/abc/etc/', '#/../../../../etc/passwd', 'artifacts#/../../etc', 'a%23/../../etc']);
  });

  it('CVE-2023-6977: a source of two leading slashes that passed for a remote URI', () => {
    assertRefused(['//proc/self/root', '//proc/self/root/etc/passwd', '%2f%2fproc/self/root']);
  });

  it('CVE-2024-1483 and CVE-2024-3848: traversal behind a fragment of an artifact location', () => {
    assertRefused(['http:///#/../../../../etc/', '#/../../../../etc/', 'file:///#/../../etc']);
  });

  it('CVE-2024-1560: double-encoded bypass of the CVE-2023-6831 fix', () => {
    assertRefused([
      '%252E%252E%252F%252E%252E%252Fpath',
      '..%252F..%252Fetc%252Fpasswd',
      '%252e%252e%255c%252e%252e%255cetc',
    ]);
  });

  it('CVE-2024-1593: traversal smuggled through ";" path parameters', () => {
    assertRefused([
      'http://host/;..%2F..%2Fetc',
      ';..%2F..%2Fetc%2Fpasswd',
      'artifacts/..;/..;/etc/passwd',
      'a;/../../etc',
    ]);
  });
});

describe('resolveListPrefix', () => {
  it('treats a missing, empty or dot path as the root', () => {
    assert.equal(resolveListPrefix(), '');
    assert.equal(resolveListPrefix(''), '');
    assert.equal(resolveListPrefix('.'), '');
    assert.equal(resolveListPrefix('./'), '');
  });

  it('normalizes directories like artifact paths', () => {
    assert.equal(resolveListPrefix('1/abc/artifacts/'), '1/abc/artifacts');
    assert.equal(resolveListPrefix('a%2Fb'), 'a/b');
  });

  it('refuses what resolveArtifactPath refuses', () => {
    for (const raw of ['/', '..', '../x', '%252e%252e%252f', 'a;b', 'C:/x', '\uff0e\uff0e']) {
      assert.throws(() => resolveListPrefix(raw), MlflowError, raw);
    }
  });
});
