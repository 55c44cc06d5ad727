import { shellQuote } from '../../../lib/index.js';
import { LINK_LABEL } from './swarm-gateway.js';

export interface JoinScriptInput {
  /** The Init before this flavor (it typically starts the engine; it may use `$TEND_SWARM_LINK`). */
  before: string;
  link: string;
  token: string;
  addresses: readonly string[];
  docker: string;
  engineWaitSeconds: number;
}

/**
 * The Init with the join around it: the link exported first (so an engine started by the earlier
 * lines can carry it as a label), then those lines, then: wait for the local engine, check it
 * carries the link, and `docker swarm join` through the first manager address that answers.
 * The token is a shell variable, never exported to the environment of other commands.
 */
export function joinScript(input: JoinScriptInput): string {
  const docker = shellQuote(input.docker);
  const label = `${LINK_LABEL}=${input.link}`;
  const lines = [
    `export TEND_SWARM_LINK=${shellQuote(input.link)}`,
    input.before,
    '# swarm flavor: join this engine to the swarm',
    `i=0; until ${docker} info >/dev/null 2>&1; do`,
    `  i=$((i+1)); [ "$i" -lt ${input.engineWaitSeconds} ] || { echo "swarm flavor: the local engine did not answer in ${input.engineWaitSeconds}s" >&2; exit 1; }`,
    '  sleep 1',
    'done',
    `case "$(${docker} info --format '{{json .Labels}}')" in`,
    `  *${shellQuote(`"${label}"`)}*) ;;`,
    `  *) echo ${shellQuote(`swarm flavor: the engine lacks the label ${label}; start dockerd with --label ${LINK_LABEL}=$TEND_SWARM_LINK`)} >&2; exit 1 ;;`,
    'esac',
    `if [ "$(${docker} info --format '{{.Swarm.LocalNodeState}}')" != active ]; then`,
    `  tend_swarm_token=${shellQuote(input.token)}; joined=`,
    `  for addr in ${input.addresses.map(shellQuote).join(' ')}; do`,
    `    if ${docker} swarm join --token "$tend_swarm_token" "$addr"; then joined=1; break; fi`,
    '  done',
    '  unset tend_swarm_token',
    '  [ -n "$joined" ] || { echo "swarm flavor: no manager accepted the join" >&2; exit 1; }',
    'fi',
  ];
  return `${lines.filter((line) => line !== '').join('\n')}\n`;
}
