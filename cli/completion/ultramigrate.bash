# bash completion for ultramigrate                         -*- shell-script -*-
#
# Completes the commands, the global options and each command's options,
# revision ids and branch labels of the project, and head, heads, base.
# The commands and options are read from the binary's own --help (once per
# shell), so that they stay in step with the version installed; the
# revisions from 'ultramigrate -v history --revisions', which reads the
# files only (no database), with the -c, -n and -d already typed.
# Needs bash 4 and nothing of the bash-completion package.

declare -gA _ultramigrate_help_cache

# The option lines of "PROG [COMMAND] --help", one per option group:
# "ARG -x --long" where ARG is the argument's placeholder (FILE, REV...)
# or "-" for a flag.  Global options only, without COMMAND.
_ultramigrate_options()
{
    local prog=$1 command=$2 key=${2:-.}
    if [[ -z ${_ultramigrate_help_cache[$key]+set} ]]; then
        _ultramigrate_help_cache[$key]=$(LC_ALL=C "$prog" ${command:+"$command"} --help \
            2>/dev/null | awk '
            /^Commands:/ { exit }
            /^ +-/ {
                n = split($0, w, /[ ,]+/); arg = "-"; opts = ""
                for (i = 1; i <= n; i++) {
                    if (w[i] == "") continue
                    if (w[i] ~ /^-/) { opts = opts " " w[i]; continue }
                    if (w[i] ~ /^[A-Z]/) arg = w[i]
                    break
                }
                print arg opts
            }')
    fi
    printf '%s\n' "${_ultramigrate_help_cache[$key]}"
}

# The options alone, one a line, for compgen -W.
_ultramigrate_option_words()
{
    _ultramigrate_options "$@" | cut -d' ' -f2- | tr ' ' '\n'
}

# The placeholder of option $3 of command $2 ("-" for a flag, "" when it
# is not one of the command's).
_ultramigrate_option_arg()
{
    local line
    while read -r line; do
        [[ " ${line#* } " == *" $3 "* ]] && { printf '%s\n' "${line%% *}"; return; }
    done < <(_ultramigrate_options "$1" "$2")
}

_ultramigrate_commands()
{
    if [[ -z ${_ultramigrate_help_cache[:commands]+set} ]]; then
        _ultramigrate_help_cache[:commands]=$(LC_ALL=C "$1" --help 2>/dev/null | awk '
            /^Commands:/ { on = 1; next }
            on && /^$/ { exit }
            on && /^  [a-z]/ { print $1 }')
    fi
    printf '%s\n' "${_ultramigrate_help_cache[:commands]}"
}

# Revision ids and branch labels of the project, and the words every
# target takes.  $1 the program, then the global options typed.
_ultramigrate_revisions()
{
    local prog=$1
    shift
    LC_ALL=C "$prog" "$@" -v history --revisions 2>/dev/null | awk '
        /^Rev: / { print $2 }
        /^Branch names: / {
            sub(/^Branch names: /, ""); n = split($0, l, /, */)
            for (i = 1; i <= n; i++) print l[i]
        }' | sort -u
    printf '%s\n' head heads base
}

_ultramigrate_reply()
{
    mapfile -t COMPREPLY < <(compgen "$@")
}

_ultramigrate()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    local prog=${COMP_WORDS[0]} command="" word arg i
    local -a globals=()

    # The command, and the options that choose the project and database.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        case $word in
        -c | --config | -d | --database-url)
            globals+=("$word" "${COMP_WORDS[i + 1]}")
            ((i++))
            ;;
        -n | --name)
            # after history or import-alembic, -n is their own
            if [[ -z $command ]]; then
                globals+=("$word" "${COMP_WORDS[i + 1]}")
                ((i++))
            elif [[ $(_ultramigrate_option_arg "$prog" "$command" "$word") != - ]]; then
                ((i++))
            fi
            ;;
        --config=* | --database-url=* | --name=*) globals+=("$word") ;;
        -*)
            # a command option's argument is not the command
            [[ -n $command ]] && arg=$(_ultramigrate_option_arg "$prog" "$command" "$word") &&
                [[ -n $arg && $arg != - ]] && ((i++))
            ;;
        *) [[ -z $command ]] && command=$word ;;
        esac
    done

    case $prev in
    -c | --config)
        _ultramigrate_reply -f -- "$cur"
        return
        ;;
    -d | --database-url) return ;;
    esac

    if [[ -z $command ]]; then
        case $prev in -n | --name) return ;; esac
        if [[ $cur == -* ]]; then
            _ultramigrate_reply -W "$(_ultramigrate_option_words "$prog")" -- "$cur"
        else
            _ultramigrate_reply -W "$(_ultramigrate_commands "$prog")" -- "$cur"
        fi
        return
    fi

    # The argument of one of the command's options.
    if [[ $prev == -* && $prev != "$command" ]]; then
        arg=$(_ultramigrate_option_arg "$prog" "$command" "$prev")
        case $arg in
        *REV*)
            _ultramigrate_reply -W "$(_ultramigrate_revisions "$prog" "${globals[@]}")" -- "$cur"
            return
            ;;
        FILE | PATH)
            _ultramigrate_reply -f -- "$cur"
            return
            ;;
        - | "") ;;
        *) return ;;
        esac
    fi

    if [[ $cur == -* ]]; then
        # the global options go after the command too, but for --version
        _ultramigrate_reply -W "$({
            _ultramigrate_option_words "$prog" "$command"
            _ultramigrate_option_words "$prog" | grep -vx -- --version
        } | sort -u)" -- "$cur"
        return
    fi

    case $command in
    upgrade | downgrade | stamp | show | merge | repair)
        _ultramigrate_reply -W "$(_ultramigrate_revisions "$prog" "${globals[@]}")" -- "$cur"
        ;;
    help) _ultramigrate_reply -W "$(_ultramigrate_commands "$prog")" -- "$cur" ;;
    init) _ultramigrate_reply -d -- "$cur" ;;
    restore | lint | import-alembic) _ultramigrate_reply -f -- "$cur" ;;
    esac
}

complete -F _ultramigrate ultramigrate
