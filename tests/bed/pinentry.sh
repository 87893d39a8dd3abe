#!/bin/sh
# Test pinentry: speaks the pinentry Assuan protocol to gpg-agent (2.2 and 2.4) and answers
# GETPIN from a script file, one answer per line, consumed in order across invocations:
#   PIN <value>   answer GETPIN with <value>
#   CANCEL        answer GETPIN/CONFIRM with "Operation cancelled"
#   CONFIRM       answer CONFIRM with OK (CONFIRM without this line is cancelled)
# Every line the agent sends is appended to the log as "< LINE", every reply as "> LINE",
# each session starts with "# start <pid>". When the answers run out, GETPIN is cancelled and
# "# exhausted" logged, so a test never hangs on a prompt.
# Usage: pinentry.sh ANSWERS LOG   (gpg-agent's own arguments go to the wrapper, not here)
answers=$1
log=$2
idx="$answers.idx"

reply() {
  printf '%s\n' "$1"
  printf '> %s\n' "$1" >>"$log"
}

# Takes the next answer line into $answer (empty when exhausted); CONFIRM lines are only taken
# by CONFIRM and PIN lines only by GETPIN.
next_answer() {
  n=$(cat "$idx" 2>/dev/null || echo 0)
  n=$((n + 1))
  answer=$(sed -n "${n}p" "$answers" 2>/dev/null)
  case "$1:$answer" in
    GETPIN:PIN\ * | GETPIN:CANCEL | CONFIRM:CONFIRM | CONFIRM:CANCEL)
      echo "$n" >"$idx"
      ;;
    *)
      [ -n "$answer" ] && printf '# not taken by %s: %s\n' "$1" "$answer" >>"$log"
      answer=""
      ;;
  esac
}

repeat=""
printf '# start %s\n' "$$" >>"$log"
reply "OK Pleased to meet you, process $$"
while IFS= read -r line; do
  printf '< %s\n' "$line" >>"$log"
  case "$line" in
    GETPIN*)
      next_answer GETPIN
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
