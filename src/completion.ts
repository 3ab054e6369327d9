// `vpce-doctor completion bash|zsh`: scripts generated from the CLI's own table (cli-options.ts)
// and the findings catalogue, so a new option, format or code completes without editing them.
import { COMMANDS, type CommandSpec, type OptionSpec, SHELLS } from './cli-options.js';

const words = (list: readonly string[]): string => list.join(' ');

const optionWords = (spec: CommandSpec): string[] =>
  spec.options.flatMap((o) => [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])]);

function positionalWords(spec: CommandSpec, codes: readonly string[]): string[] {
  switch (spec.args?.complete) {
    case 'codes':
      return [...codes];
    case 'shells':
      return [...SHELLS];
    case 'commands':
      return COMMANDS.map((c) => c.name);
    default:
      return [];
  }
}

function bashValueCase(o: OptionSpec): string {
  const names = [`--${o.name}`, ...(o.short ? [`-${o.short}`] : [])].join('|');
  if (o.choices)
    return `        ${names}) COMPREPLY=($(compgen -W "${words(o.choices)}" -- "$cur")); return 0 ;;`;
  if (o.file)
    // One match per line, read whole: COMPREPLY=($(compgen -f)) splits a name with spaces into words.
    // A while-read loop, not mapfile: macOS still ships bash 3.2.
    return `        ${names}) compopt -o filenames 2>/dev/null; local f; COMPREPLY=(); while IFS= read -r f; do COMPREPLY+=("$f"); done < <(compgen -f -- "$cur"); return 0 ;;`;
  return `        ${names}) return 0 ;;`;
}

export function bashCompletion(codes: readonly string[]): string {
  const commandCases = COMMANDS.map((spec) => {
    const valued = spec.options.filter((o) => o.value);
    const positional = positionalWords(spec, codes);
    return [
      `    ${spec.name})`,
      ...(valued.length > 0 ? ['      case "$prev" in', ...valued.map(bashValueCase), '      esac'] : []),
      positional.length > 0
        ? `      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "${words(optionWords(spec))}" -- "$cur")); else COMPREPLY=($(compgen -W "${words(positional)}" -- "$cur")); fi`
        : `      COMPREPLY=($(compgen -W "${words(optionWords(spec))}" -- "$cur"))`,
      '      ;;',
    ].join('\n');
  });
  return `# bash completion for vpce-doctor: source <(vpce-doctor completion bash)
_vpce_doctor() {
  local cur prev cmd i
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # --format=json: bash splits the word at '=' (COMP_WORDBREAKS).
  if [[ "$cur" == "=" ]]; then
    cur=""
  elif [[ "$prev" == "=" && $COMP_CWORD -ge 2 ]]; then
    prev="\${COMP_WORDS[COMP_CWORD-2]}"
  fi
  cmd=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "")
      COMPREPLY=($(compgen -W "${words(COMMANDS.map((c) => c.name))} --help --version" -- "$cur"))
      ;;
${commandCases.join('\n')}
  esac
  return 0
}
complete -F _vpce_doctor vpce-doctor
`;
}

/** zsh's _arguments spec language reserves [ ] : and the quoting is single quotes. */
function zshText(text: string): string {
  return text.replaceAll('[', '(').replaceAll(']', ')').replaceAll(':', ' -').replaceAll("'", "'\\''");
}

function zshOption(o: OptionSpec): string {
  const help = zshText(o.help);
  const action = o.choices
    ? `:${o.value?.toLowerCase()}:(${words(o.choices)})`
    : o.file
      ? ':file:_files'
      : o.value
        ? `:${o.value.toLowerCase()}:`
        : '';
  const repeat = o.multiple ? "'*'" : '';
  if (o.short) {
    const exclusive = o.multiple ? '' : `'(-${o.short} --${o.name})'`;
    const forms = o.value ? `{-${o.short}+,--${o.name}=}` : `{-${o.short},--${o.name}}`;
    return `${repeat}${exclusive}${forms}'[${help}]${action}'`;
  }
  return `${repeat}'--${o.name}${o.value ? '=' : ''}[${help}]${action}'`;
}

export function zshCompletion(codes: readonly string[]): string {
  const commandCases = COMMANDS.map((spec) => {
    const positional = positionalWords(spec, codes);
    const args = [
      ...spec.options.map(zshOption),
      ...(positional.length > 0 ? [`'1:${spec.args!.name.toLowerCase()}:(${words(positional)})'`] : []),
    ];
    return `    ${spec.name})\n      _arguments -s \\\n        ${args.join(' \\\n        ')}\n      ;;`;
  });
  return `#compdef vpce-doctor
# zsh completion for vpce-doctor: vpce-doctor completion zsh > ~/.zfunc/_vpce-doctor, with
# fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc (or, after compinit: source <(vpce-doctor completion zsh))
_vpce_doctor() {
  local -a commands
  commands=(
${COMMANDS.map((c) => `    '${c.name}:${zshText(c.summary)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    if [[ "$PREFIX" == -* ]]; then
      _arguments '(- *)--help[print the help]' '(- *)--version[print the version]'
    else
      _describe -t commands 'vpce-doctor command' commands
    fi
    return
  fi
  local cmd="$words[2]"
  shift words
  (( CURRENT-- ))
  case "$cmd" in
${commandCases.join('\n')}
  esac
}
if [[ "$funcstack[1]" == "_vpce-doctor" ]]; then
  _vpce_doctor "$@"
else
  compdef _vpce_doctor vpce-doctor
fi
`;
}

export function completionScript(shell: string, codes: readonly string[]): string | undefined {
  if (shell === 'bash') return bashCompletion(codes);
  if (shell === 'zsh') return zshCompletion(codes);
  return undefined;
}
