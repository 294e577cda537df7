#!/usr/bin/env bash
# Checks the Jenkins shared library with Debian's groovy: every .groovy file (and
# examples/Jenkinsfile) compiles, and vars/cicdMonitor.groovy run against stubbed pipeline steps
# produces the expected shell scripts, which are run for real (jenkins-lib/test/).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v groovy >/dev/null || { echo "groovy not found: apt-get install groovy"; exit 1; }
# Debian's groovy looks for /usr/lib/jvm/default-java, absent when only a versioned JDK is
# installed: point JAVA_HOME at the java on PATH then.
if [ ! -x "${JAVA_HOME:-/usr/lib/jvm/default-java}/bin/java" ]; then
  JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
  export JAVA_HOME
fi
groovy jenkins-lib/test/CicdMonitorTest.groovy "$PWD"
