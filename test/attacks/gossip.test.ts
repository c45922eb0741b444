/**
 * Attack: gossip from peers off the roster. Heads from a stranger used to be signature-checked and
 * relayed to the other guardians (2000 stranger heads: 578 relayed). Now the vault's topic validator
 * rejects what a non-roster peer sends before it is delivered or relayed, even a validly signed head
 * replayed on the right topic by someone who learned it.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { vaultTopic } from '../../src/guardian/gossip.js'
import type { KithNode } from '../../src/p2p/node.js'
import { openRoster, type Roster } from '../../src/replica/roster.js'
import { kithJson } from '../helpers/cli.js'
import { type LocalGuardian, localFleet, localVault } from '../helpers/local.js'
import { strangerNode } from '../helpers/stranger.js'
import { waitUntil } from '../helpers/wait.js'

const fleet = localFleet()
let stranger: KithNode | undefined
afterAll(async () => {
  await stranger?.stop()
})

describe('attack: gossip from a peer that is not on the roster', () => {
  let gs: LocalGuardian[]
  let roster: Roster
  let topic: string
  const heard: { from: string; at: LocalGuardian }[] = []

  beforeAll(async () => {
    const made = await localVault(2, 2, 2, fleet)
    gs = made.gs
    const scb = join(made.work, 'channel.backup')
    await writeFile(scb, randomBytes(3000))
    await kithJson(...made.v('add-source', 'lnd-scb', scb))
    await kithJson(...made.v('backup'))
    const vault = gs[0]!.guardian.db.vaults.all()[0]!
    roster = openRoster(vault.roster)
    topic = vaultTopic(roster)
    for (const g of gs)
      g.guardian.node.services.pubsub!.addEventListener('message', (ev) => {
        if (ev.detail.topic === topic && ev.detail.type === 'signed')
          heard.push({ from: ev.detail.from.toString(), at: g })
      })
  })

  it("a roster guardian's head is delivered to the other guardian (the channel works)", async () => {
    const head = gs[0]!.guardian.db.vaults.all()[0]!.head!
    await waitUntil(async () => {
      await gs[0]!.guardian.node.services.pubsub!.publish(topic, head).catch(() => undefined)
      return heard.some((h) => h.from === gs[0]!.peerId && h.at === gs[1])
    })
  })

  it('200 messages from a stranger on the right topic, valid heads among them, reach no guardian', async () => {
    stranger = await strangerNode('127.0.0.2')
    const head = gs[0]!.guardian.db.vaults.all()[0]!.head!
    stranger.services.pubsub!.subscribe(topic)
    for (const g of gs) {
      await stranger.peerStore.merge(g.guardian.node.peerId, { multiaddrs: g.guardian.node.getMultiaddrs() })
      await stranger.dial(g.guardian.node.peerId)
    }
    await waitUntil(() => stranger!.services.pubsub!.getSubscribers(topic).length === 2)
    for (let i = 0; i < 200; i++)
      await stranger.services.pubsub!.publish(topic, i % 2 ? head : randomBytes(100)).catch(() => undefined)
    // a guardian's own head, sent after the stranger's, arrives: so the stranger's had their chance
    const mark = heard.length
    await waitUntil(async () => {
      await gs[1]!.guardian.node.services.pubsub!.publish(topic, head).catch(() => undefined)
      return heard.slice(mark).some((h) => h.from === gs[1]!.peerId)
    })
    expect(heard.filter((h) => h.from === stranger!.peerId.toString())).toEqual([])
  })

  it("the stranger's replayed heads changed nothing a guardian keeps", () => {
    for (const g of gs)
      expect(g.guardian.db.vaults.all()[0]).toMatchObject({ headVersion: 1, seenVersion: 1 })
  })
})
