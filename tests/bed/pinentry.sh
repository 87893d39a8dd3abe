#!/bin/sh
# Test pinentry: speaks the pinentry Assuan protocol to gpg-agent (2.2 and 2.4) and answers
# GETPIN from a script file, one answer per line, each used at most once across invocations:
#   PIN <value>          answer the next GETPIN with <value>
#   SLOWPIN <s> <value>  answer the next GETPIN with <value> after <s> seconds (a person typing)
#   PIN /<ere>/ <value>  answer a GETPIN whose "prompt=<SETPROMPT> desc=<SETDESC>" (raw,
#                        percent-escaped as the agent sent it) matches the extended regex
#   CANCEL               answer the next GETPIN or CONFIRM with "Operation cancelled"
#   CONFIRM              answer the next CONFIRM with OK (CONFIRM without one is cancelled)
# A prompt takes the first unused line that applies to it. Every line the agent sends is
# appended to the log as "< LINE", every reply as "> LINE", each session starts with
# "# start <pid>". When no answer applies, GETPIN is cancelled and "# exhausted" logged, so a
# test never hangs on a prompt.
# Usage: pinentry.sh ANSWERS LOG   (gpg-agent's own arguments go to the wrapper, not here)
answers=$1
log=$2
used="$answers.used"

reply() {
  printf '%s\n' "$1"
  printf '> %s\n' "$1" >>"$log"
}

# Takes the first unused applicable answer for $1 (GETPIN or CONFIRM) into $answer (the
# value for PIN lines), marking it used; $answer is empty when none applies.
next_answer() {
  answer=""
  n=0
  subject="prompt=$prompt desc=$desc"
  while IFS= read -r cand; do
    n=$((n + 1))
    grep -qx "$n" "$used" 2>/dev/null && continue
    take=""
    case "$1:$cand" in
      GETPIN:PIN\ /*)
        rest=${cand#PIN /}
        re=${rest%%/ *}
        printf '%s' "$subject" | grep -qE -- "$re" && take="PIN ${rest#*/ }"
        ;;
      GETPIN:PIN\ * | GETPIN:SLOWPIN\ * | GETPIN:CANCEL | CONFIRM:CONFIRM | CONFIRM:CANCEL) take=$cand ;;
    esac
    if [ -n "$take" ]; then
      echo "$n" >>"$used"
      answer=$take
      return
    fi
  done <"$answers"
}

repeat=""
prompt=""
desc=""
printf '# start %s\n' "$$" >>"$log"
reply "OK Pleased to meet you, process $$"
while IFS= read -r line; do
  printf '< %s\n' "$line" >>"$log"
  case "$line" in
    GETPIN*)
      next_answer GETPIN
      case "$answer" in
        SLOWPIN\ *)
          rest=${answer#SLOWPIN }
          sleep "${rest%% *}"
          answer="PIN ${rest#* }"
          ;;
      esac
      case "$answer" in
        PIN\ *)
          # A real pinentry asks twice itself after SETREPEAT and says so with PIN_REPEATED
          [ -n "$repeat" ] && reply "S PIN_REPEATED"
          # PINs in tests are plain; escape % only (Assuan D-line rule: %, CR, LF)
          pin=$(printf '%s' "${answer#PIN }" | sed 's/%/%25/g')
          printf '%s\n' "D $pin"
          printf '> D [pin]\n' >>"$log"
          reply "OK"
          ;;
        *)
          [ -z "$answer" ] && printf '# exhausted\n' >>"$log"
          reply "ERR 83886179 Operation cancelled <Pinentry>"
          ;;
      esac
      ;;
    CONFIRM*)
      next_answer CONFIRM
      if [ "$answer" = "CONFIRM" ]; then
        reply "OK"
      else
        reply "ERR 83886179 Operation cancelled <Pinentry>"
      fi
      ;;
    SETDESC*) desc=${line#SETDESC} && desc=${desc# } && reply "OK" ;;
    SETPROMPT*) prompt=${line#SETPROMPT} && prompt=${prompt# } && reply "OK" ;;
    SETREPEAT | "SETREPEAT "*) repeat=1 && reply "OK" ;;
    "GETINFO pid") reply "D $$" && reply "OK" ;;
    "GETINFO version") reply "D 1.2.1" && reply "OK" ;;
    "GETINFO flavor") reply "D test" && reply "OK" ;;
    "GETINFO ttyinfo") reply "D - - -" && reply "OK" ;;
    BYE*)
      reply "OK closing connection"
      exit 0
      ;;
    *) reply "OK" ;;
  esac
done
exit 0
