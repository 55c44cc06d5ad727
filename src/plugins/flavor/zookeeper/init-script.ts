import { shellQuote } from '../../../lib/index.js';
import type { ZookeeperMember, ZookeeperProperties } from './properties.js';

/**
 * `zoo.cfg` for one member. The four-letter commands the health check needs are whitelisted;
 * `standaloneEnabled=false` keeps a one-member ensemble in quorum mode, so health means the same
 * (leader or follower) at every size; the AdminServer is off so members do not fight over :8080.
 */
export function zooCfg(
  properties: ZookeeperProperties,
  self: ZookeeperMember,
  ensemble: readonly ZookeeperMember[],
) {
  const lines = [
    `tickTime=${properties.tickTime}`,
    `initLimit=${properties.initLimit}`,
    `syncLimit=${properties.syncLimit}`,
    `dataDir=${self.dir}/data`,
    `clientPort=${self.clientPort}`,
    `clientPortAddress=${self.host}`,
    '4lw.commands.whitelist=ruok,srvr,mntr,stat',
    'admin.enableServer=false',
    'standaloneEnabled=false',
    'reconfigEnabled=false',
    ...[...ensemble]
      .sort((a, b) => a.serverId - b.serverId)
      .map((m) => `server.${m.serverId}=${m.host}:${m.peerPort}:${m.electionPort}`),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Writes zoo.cfg and myid, then runs ZooKeeper in the foreground with a small heap. The data dir
 * is kept: a member restarted on it catches up from its last snapshot; an empty one syncs a full
 * snapshot from the leader. Either way it rejoins under the same server id.
 */
export function zookeeperInitScript(
  properties: ZookeeperProperties,
  self: ZookeeperMember,
  ensemble: readonly ZookeeperMember[],
): string {
  const dir = shellQuote(self.dir);
  const data = shellQuote(`${self.dir}/data`);
  const cfg = shellQuote(`${self.dir}/zoo.cfg`);
  return [
    `mkdir -p ${data}`,
    `printf '%s\\n' ${self.serverId} > ${data}/myid`,
    `cat > ${cfg} <<'TEND_ZOO_CFG'`,
    zooCfg(properties, self, ensemble).trimEnd(),
    'TEND_ZOO_CFG',
    `cd ${dir}`,
    `exec ${shellQuote(properties.java)} -Xmx${properties.heap} -XX:+UseSerialGC ` +
      `-Dzookeeper.admin.enableServer=false -cp ${shellQuote(properties.classpath)} ` +
      `org.apache.zookeeper.server.quorum.QuorumPeerMain ${cfg}`,
    '',
  ].join('\n');
}
