#!/usr/bin/env bash
. "$(dirname "$0")/../lib.sh"
stop_pidfile "$state_dir/localstack/pid"
