#!/bin/sh
# notify-send stand-in for the ssh-agent's touch announcement tests: appends its arguments to
# the file $SCD_TS_TEST_NOTIFY_FILE names.
echo "$@" >> "$SCD_TS_TEST_NOTIFY_FILE"
