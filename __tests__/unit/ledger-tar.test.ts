// The ledger's one file out of a cache entry's tar, read in memory: what our save makes is read,
// anything else refuses the entry (a table of crafted archives).
import { describe, expect, it } from '@jest/globals'
import { tarball, type TarMember } from '../../sim/cache-service.js'
import { ledgerFromTar } from '../../src/ledger/tar.js'

const ledger = '{"version":1,"entries":[]}'
const file = '../../_temp/aep-retry-ledger/ledger.json'
const ours: TarMember[] = [
  { name: '../../_temp/aep-retry-ledger/', type: 'dir' },
  { name: file, data: ledger }
]
const read = (members: TarMember[], max = 1024): ReturnType<typeof ledgerFromTar> =>
  ledgerFromTar(tarball(members), max)

describe('ledgerFromTar', () => {
  it.each<[string, TarMember[]]>([
    ['the folder and the file, as our save makes them', ours],
    ['the file alone', [{ name: file, data: ledger }]],
    [
      'a name longer than 100 bytes (pax path)',
      [{ name: `${'../'.repeat(40)}aep-retry-ledger/ledger.json`, data: ledger }]
    ]
  ])('reads %s', (_, members) => {
    const result = read(members)
    expect('data' in result && result.data.toString()).toBe(ledger)
  })

  it.each<[string, TarMember[], RegExp]>([
    [
      'another file beside it',
      [...ours, { name: '../../_actions/a/b/v1/dist/index.js', data: 'x' }],
      /holds a file "\.\.\/\.\.\/_actions/
    ],
    [
      'an absolute path',
      [...ours, { name: '/etc/cron.d/x', data: 'x' }],
      /holds a file "\/etc\/cron\.d\/x"/
    ],
    [
      'ledger.json as a symbolic link',
      [{ name: file, type: 'symlink', target: '/dev/zero' }],
      /is a symbolic link, not a file/
    ],
    [
      'ledger.json as a hard link',
      [{ name: file, type: 'hardlink', target: '/root/.bashrc' }],
      /is a hard link, not a file/
    ],
    ['ledger.json as a FIFO', [{ name: file, type: 'fifo' }], /is a FIFO, not a file/],
    [
      'the folder as a symbolic link',
      [{ name: '../../_temp/aep-retry-ledger', type: 'symlink', target: '/root' }],
      /holds a symbolic link/
    ],
    ['two ledgers', [...ours, { name: file, data: ledger }], /two ledger\.json files/],
    ['a ledger over the cap', [{ name: file, data: 'x'.repeat(2000) }], /larger than 1024 bytes/],
    [
      'no ledger at all',
      [{ name: '../../_temp/aep-retry-ledger/', type: 'dir' }],
      /no ledger\.json/
    ],
    [
      'a control character in a name, shown escaped',
      [...ours, { name: 'a\n::error::x', data: '' }],
      /holds a file "a\\n::error::x"/
    ]
  ])('refuses %s', (_, members, why) => {
    const result = read(members)
    expect('problem' in result && result.problem).toMatch(why)
  })

  it('refuses a header whose checksum is wrong, a member cut short, and bytes that are not a tar', () => {
    const tar = tarball(ours)
    tar[0] ^= 1
    expect(ledgerFromTar(tar, 1024)).toEqual({ problem: expect.stringMatching(/checksum/) })
    expect(ledgerFromTar(tarball(ours).subarray(0, 1024 + 10), 1024)).toEqual({
      problem: expect.stringMatching(/is cut short/)
    })
    expect(ledgerFromTar(Buffer.from('{"version":1}'), 1024)).toEqual({
      problem: 'no ledger.json in it'
    })
  })
})
