import { type Command, InvalidArgumentError } from 'commander';
import { printLine } from '../output.js';
import { clientFor, withManager } from './connection.js';
import { loadConfig } from './contexts.js';

const SHELLS = ['bash', 'zsh'] as const;
type Shell = (typeof SHELLS)[number];

/**
 * `tend completion bash|zsh` prints a script generated from the commands registered right now
 * (index.ts registers them all for this command), so it never lags behind the CLI. Commands,
 * subcommands, flags and `-o` values are completed from tables in the script; group and context
 * names are asked of `tend __complete` at the moment of the tab.
 */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash or zsh', parseShell)
    .addHelpText(
      'after',
      `
Examples:
  source <(tend completion bash)                  # this bash session
  tend completion bash > /etc/bash_completion.d/tend
  tend completion zsh > "\${fpath[1]}/_tend"       # zsh, then restart it`,
    )
    .action((shell: Shell) => {
      process.stdout.write(completionScript(program, shell));
    });

  // Asked by the scripts on a tab; prints nothing when the manager is away.
  withManager(program.command('__complete', { hidden: true }).argument('<what>')).action(
    async (what: string, _options: unknown, command: Command) => {
      const names =
        what === 'groups'
          ? (await clientFor(command).status()).groups.map((g) => g.id)
          : what === 'contexts'
            ? [...((await loadConfig())?.contexts.keys() ?? [])]
            : [];
      for (const name of names) printLine(name);
    },
  );
}

function parseShell(value: string): Shell {
  const shell = SHELLS.find((s) => s === value);
  if (shell === undefined) throw new InvalidArgumentError(`expected one of ${SHELLS.join(', ')}`);
  return shell;
}

interface CommandTable {
  /** `tend`, `tend_rollout`, … → the words that may follow. */
  subcommands: Map<string, string[]>;
  options: Map<string, string[]>;
  /** Commands whose first argument is a group. */
  groupArgument: string[];
  /**
   * Flags followed by a value (`--manager URL`), skipped when finding the command; a flag that is
   * a switch elsewhere (`-f` is apply's file and logs' follow) is left out, so a switch is never
   * taken to swallow the next word.
   */
  valueFlags: Set<string>;
}

export function commandTable(program: Command): CommandTable {
  const table: CommandTable = {
    subcommands: new Map(),
    options: new Map(),
    groupArgument: [],
    valueFlags: new Set(),
  };
  const switches = new Set<string>();
  const help = program.createHelp();
  const visit = (command: Command, key: string) => {
    const visible = help.visibleCommands(command).filter((c) => c.name() !== 'help');
    table.subcommands.set(
      key,
      visible.map((c) => c.name()),
    );
    const flags: string[] = [];
    for (const option of help.visibleOptions(command)) {
      for (const flag of [option.short, option.long]) {
        if (flag === undefined) continue;
        flags.push(flag);
        (option.required ? table.valueFlags : switches).add(flag);
      }
    }
    table.options.set(key, flags);
    if (command.registeredArguments[0]?.name() === 'group') table.groupArgument.push(key);
    for (const sub of visible) visit(sub, `${key}_${sub.name()}`);
  };
  visit(program, 'tend');
  for (const flag of switches) table.valueFlags.delete(flag);
  return table;
}

export function completionScript(program: Command, shell: Shell): string {
  const table = commandTable(program);
  const cases = (map: Map<string, string[]>) =>
    [...map]
      .filter(([, words]) => words.length > 0)
      .map(([key, words]) => `    ${key}) echo "${words.join(' ')}" ;;`)
      .join('\n');
  // One function for both shells: plain `case`, no arrays, so bash and zsh read it alike.
  const common = `_tend_sub() {
  case "$1" in
${cases(table.subcommands)}
  esac
}
_tend_opts() {
  case "$1" in
${cases(table.options)}
  esac
}
_tend_candidates() {
  local cur="$1" key=tend skip=0 prev="" w
  shift
  for w in "$@"; do
    if [ "$skip" = 1 ]; then skip=0; prev="$w"; continue; fi
    case "$w" in
      ${[...table.valueFlags].join('|')}) skip=1 ;;
      -*) ;;
      *) case " $(_tend_sub "$key") " in *" $w "*) key="\${key}_$w" ;; esac ;;
    esac
    prev="$w"
  done
  if [ "$skip" = 1 ]; then
    case "$prev" in
      -o|--output) echo "table wide json yaml" ;;
      --context) tend __complete contexts 2>/dev/null ;;
      --group) tend __complete groups 2>/dev/null ;;
    esac
    return
  fi
  case "$cur" in -*) _tend_opts "$key"; return ;; esac
  local sub
  sub="$(_tend_sub "$key")"
  if [ -n "$sub" ]; then echo "$sub"; return; fi
  case "$key" in
    ${table.groupArgument.join('|') || '__none__'}) tend __complete groups 2>/dev/null ;;
  esac
}
`;
  if (shell === 'bash') {
    return `# tend completion for bash: source <(tend completion bash)
${common}_tend() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=($(compgen -W "$(_tend_candidates "$cur" "\${COMP_WORDS[@]:1:COMP_CWORD-1}")" -- "$cur"))
}
complete -o default -F _tend tend
`;
  }
  return `#compdef tend
# tend completion for zsh: tend completion zsh > "\${fpath[1]}/_tend"
${common}_tend() {
  local -a candidates
  candidates=(\${=$(_tend_candidates "\${words[CURRENT]}" "\${(@)words[2,CURRENT-1]}")})
  # Nothing to offer (a file argument): file names, as bash's -o default does.
  if (( \${#candidates} )); then compadd -- $candidates; else _files; fi
}
compdef _tend tend
`;
}
