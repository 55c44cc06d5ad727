import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupSpec, JsonValue } from '../../spi/index.js';
import { infraKitConfigSha } from './infrakit-config-sha.js';

type Sections = Pick<GroupSpec, 'instance' | 'flavor'>;

function sections(instance: string, iProps: string | undefined, flavor: string, fProps: string | undefined) {
  const ref = (plugin: string, props: string | undefined) =>
    props === undefined ? { plugin } : { plugin, properties: JSON.parse(props) as JsonValue };
  return { instance: ref(instance, iProps), flavor: ref(flavor, fProps) } as Sections;
}

// Expected values were computed by Go 1.19's encoding/json running InfraKit v0.5's
// `Spec.InstanceHash()` steps (Marshal, Unmarshal into a map, MarshalIndent "  ", SHA-1,
// base32, lower case, padding trimmed) on the same JSON; the Go program is not kept here.
test('infrakit config_sha: the value InfraKit v0.5 computes, for plain and awkward properties', () => {
  assert.equal(
    infraKitConfigSha(sections('instance-file', undefined, 'flavor-vanilla', undefined)),
    'ynrmw2ha5krbpx3in3yezn7ogprucxsk',
  );
  assert.equal(
    infraKitConfigSha(
      sections(
        'process',
        '{"cmd":"sleep 1","n":1.5e-7,"big":12345678901234567890,"html":"<a&b>\\u2028\\b","z":[],"o":{}}',
        'vanilla',
        '{"Init":["echo hi"],"Tags":{"b":"1","a":"2"}}',
      ),
    ),
    'yk67quq6rx7mih7zkost6omaremloexw',
  );
  assert.equal(
    infraKitConfigSha(
      sections(
        'docker',
        '{"\\uffff":1,"😀":2,"é":[{"b":-0,"a":1e21},[],true,null,"\\u0001\\u007f\\t\\n\\r\\"\\\\/"],"x":0.1,"y":100,"n":-3.25e-9}',
        'combo',
        '{"Flavors":[{"Plugin":"vanilla","Properties":{"Init":["a","b"]}}]}',
      ),
    ),
    'n6uvwsehrabjpzgouof42qhm3lb2eobu',
  );
});

test('infrakit config_sha: key order does not matter; a changed value or plugin does', () => {
  const a = sections('p', '{"a":1,"b":{"c":2,"d":3}}', 'f', '{"x":[1,2]}');
  const b = sections('p', '{"b":{"d":3,"c":2},"a":1}', 'f', '{"x":[1,2]}');
  assert.equal(infraKitConfigSha(a), infraKitConfigSha(b));
  assert.notEqual(
    infraKitConfigSha(a),
    infraKitConfigSha(sections('p', '{"a":2,"b":{"c":2,"d":3}}', 'f', '{"x":[1,2]}')),
  );
  assert.notEqual(
    infraKitConfigSha(a),
    infraKitConfigSha(sections('q', '{"a":1,"b":{"c":2,"d":3}}', 'f', '{"x":[1,2]}')),
  );
  assert.notEqual(
    infraKitConfigSha(a),
    infraKitConfigSha(sections('p', '{"a":1,"b":{"c":2,"d":3}}', 'f', '{"x":[2,1]}')),
  );
  assert.match(infraKitConfigSha(a), /^[a-z2-7]{32}$/);
});
