#!/bin/sh
# `make demo` works for a newcomer: test/demo/demo.sh run with DEMO_CHECK=1
# brings up Synapse, wasim and ponton, logs the bridge in, lets the two
# simulated contacts create their group, and checks what the demo promises:
# the portal room with their messages, and an answer from WhatsApp to a
# message written on Matrix (see test/demo/demo.py).
: "${BUILD:=build}"
: "${TOP:=$(pwd)}"
DEMO_CHECK=1 sh "$TOP/test/demo/demo.sh"
