// cicd-monitor steps for Jenkins pipelines; help text: vars/cicdMonitor.txt.
//
//   cicdMonitor.stage('build') { cicdMonitor.sh 'make -j8' }
//   cicdMonitor.sh(stage: 'test', script: 'make check')
//   cicdMonitor.publish()
//
// Environment variables read here and by the tool, declared in src/env_vars.rs:
// CICD_MONITOR_STAGE, CICD_MONITOR_OUT, CICD_MONITOR_DIR, CICD_MONITOR_ARTIFACTS.
// CM_BIN (this library only) is the binary's path when it is not on PATH.
//
// Pipeline steps are called as `steps.X`: this file defines its own `sh` and `stage`, and a
// plain `sh(...)` here would call itself.

/** Runs `body` in Jenkins `stage(name)` with CICD_MONITOR_STAGE=name, for cicdMonitor.sh. */
def stage(String name, Closure body) {
    steps.stage(name) {
        steps.withEnv(['CICD_MONITOR_STAGE=' + name]) {
            body()
        }
    }
}

/** Same as stage(name, body): `cicdMonitor('build') { … }`. */
def call(String name, Closure body) {
    stage(name, body)
}

/** Runs shell text under `cicd-monitor wrap`, like `sh 'make -j8'`. */
def sh(String script) {
    sh([script: script])
}

/**
 * Runs shell text under `cicd-monitor wrap`: the `sh` step with a profile.
 * script: the shell text (run with `sh -xe`, like Jenkins' own sh step).
 * stage: stage name [default: CICD_MONITOR_STAGE, set by cicdMonitor.stage, else STAGE_NAME].
 * shell: interpreter for the text [default 'sh -xe'], e.g. 'bash -xeo pipefail'.
 * returnStatus, returnStdout, label, encoding: passed to the sh step.
 * The exit status is the command's. Without the binary the text runs unmonitored.
 */
def sh(Map args) {
    if (!args.script) {
        steps.error('cicdMonitor.sh: script is required')
    }
    String stageName = args.stage ?: env.CICD_MONITOR_STAGE ?: env.STAGE_NAME
    Map shArgs = [script: wrapCommand(args.script as String, stageName, (args.shell ?: 'sh -xe') as String)]
    for (String key : ['returnStatus', 'returnStdout', 'label', 'encoding']) {
        if (args.containsKey(key)) {
            shArgs[key] = args[key]
        }
    }
    return steps.sh(shArgs)
}

/**
 * Publishes the job report for Jenkins: `cicd-monitor publish --to jenkins` writes report.html,
 * report.json and report.md and prints a summary; then the profiles and report are archived and,
 * when the HTML Publisher plugin is installed, report.html is linked from the build.
 * dir: profile directory [CICD_MONITOR_DIR, CICD_MONITOR_OUT, else .cicd-monitor].
 * artifacts: report directory [CICD_MONITOR_ARTIFACTS, else DIR/report].
 * Never fails the build; returns the exit status of `cicd-monitor publish`.
 */
def publish(Map args = [:]) {
    String dir = args.dir ?: env.CICD_MONITOR_DIR ?: env.CICD_MONITOR_OUT ?: '.cicd-monitor'
    String reportDir = args.artifacts ?: env.CICD_MONITOR_ARTIFACTS ?: dir + '/report'
    int status = steps.sh(script: publishCommand(dir, reportDir), returnStatus: true,
                          label: 'cicd-monitor publish') as int
    if (status != 0) {
        steps.echo('cicd-monitor: warning: publish failed (exit ' + status + '); the report is not published')
    }
    String archive = dir + '/**'
    if (!reportDir.startsWith(dir + '/')) {
        archive += ',' + reportDir + '/**'
    }
    steps.archiveArtifacts(artifacts: archive, allowEmptyArchive: true)
    try {
        steps.publishHTML(target: [reportDir: reportDir, reportFiles: 'report.html',
                                   reportName: 'cicd-monitor', keepAll: true,
                                   alwaysLinkToLastBuild: true, allowMissing: true])
    } catch (NoSuchMethodError e) {
        // Jenkins' answer to a step whose plugin is not installed.
        steps.echo('cicd-monitor: HTML Publisher plugin not installed; report.html is in the build artifacts')
    }
    return status
}

/** `text` as one single-quoted shell word: ' becomes '\'' and nothing else is special. */
static String shellQuote(String text) {
    return "'" + text.replace("'", "'\\''") + "'"
}

/** Shell lines that find the binary (CM_BIN, else PATH) into $cm_bin, or warn. */
static String locateBinary() {
    return 'cm_bin="${CM_BIN:-$(command -v cicd-monitor || true)}"\n'
}

/** The sh step's script for cicdMonitor.sh: wrap when the binary is there, else run as is. */
static String wrapCommand(String script, String stageName, String shell) {
    String wrap = '"$cm_bin" wrap' + (stageName ? ' --stage ' + shellQuote(stageName) : '') + ' --'
    return locateBinary() +
        'if [ -n "$cm_bin" ]; then set -- ' + wrap + '; else ' +
        'echo "cicd-monitor: warning: cicd-monitor not found (PATH, CM_BIN); running unmonitored" >&2; set --; fi\n' +
        'exec "$@" ' + shell + ' -c ' + shellQuote(script) + '\n'
}

/** The sh step's script for publish. */
static String publishCommand(String dir, String reportDir) {
    return locateBinary() +
        'if [ -z "$cm_bin" ]; then echo "cicd-monitor: warning: cicd-monitor not found (PATH, CM_BIN)" >&2; exit 127; fi\n' +
        'exec "$cm_bin" publish --to jenkins --dir ' + shellQuote(dir) + ' --artifacts ' + shellQuote(reportDir) + '\n'
}
