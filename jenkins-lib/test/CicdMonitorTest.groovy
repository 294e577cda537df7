// Checks jenkins-lib with plain groovy (Debian's package; Jenkins runs Groovy 2.4 too):
//  1. every .groovy file of the library, and examples/Jenkinsfile, compiles;
//  2. vars/cicdMonitor.groovy, run against stubbed pipeline steps (steps.sh, stage, withEnv,
//     archiveArtifacts, publishHTML, echo, env), produces exactly the shell scripts in
//     test/expected/, and those scripts, run for real by `sh -xe` with test/bin/cicd-monitor as
//     the binary, pass quotes, `$`, newlines and the exit status through.
// Run from the repository root: groovy jenkins-lib/test/CicdMonitorTest.groovy

class ShError extends RuntimeException {
    int status
    ShError(String message, int status) { super(message); this.status = status }
}

/** The pipeline steps the library calls, recording each call; `sh` runs its script for real. */
class StubSteps {
    Map env
    List calls = []
    boolean htmlPublisher = true
    String path = '/usr/bin:/bin'
    Map extraEnv = [:]
    String lastStderr = ''

    def sh(Map args) {
        calls << ['sh', args]
        File file = File.createTempFile('cicd-monitor-test', '.sh')
        file.text = args.script
        // Jenkins runs the script as `sh -xe FILE` with the build's environment.
        ProcessBuilder pb = new ProcessBuilder(['sh', '-xe', file.path])
        Map<String, String> e = pb.environment()
        e.clear()
        e.put('PATH', path)
        e.put('HOME', System.getenv('HOME') ?: '/tmp')
        env.each { k, v -> if (v != null) { e.put(k as String, v as String) } }
        extraEnv.each { k, v -> e.put(k as String, v as String) }
        Process p = pb.start()
        ByteArrayOutputStream out = new ByteArrayOutputStream()
        ByteArrayOutputStream err = new ByteArrayOutputStream()
        p.waitForProcessOutput(out, err)
        int status = p.waitFor()
        file.delete()
        lastStderr = err.toString('UTF-8')
        if (args.returnStatus) { return status }
        if (status != 0) { throw new ShError("script returned exit code ${status}", status) }
        return args.returnStdout ? out.toString('UTF-8') : null
    }
    def stage(String name, Closure body) { calls << ['stage', name]; body() }
    def withEnv(List vars, Closure body) {
        calls << ['withEnv', vars]
        Map saved = new LinkedHashMap(env)
        vars.each { String kv -> int i = kv.indexOf('='); env[kv.substring(0, i)] = kv.substring(i + 1) }
        try { body() } finally { env.clear(); env.putAll(saved) }
    }
    def archiveArtifacts(Map args) { calls << ['archiveArtifacts', args] }
    def publishHTML(Map args) {
        // What Jenkins throws for a step whose plugin is not installed.
        if (!htmlPublisher) { throw new NoSuchMethodError("No such DSL method 'publishHTML' found among steps") }
        calls << ['publishHTML', args]
    }
    def echo(String message) { calls << ['echo', message] }
    def error(String message) { throw new RuntimeException(message) }
}

int passed = 0
int failed = 0
def check = { String name, boolean ok, Object detail = '' ->
    if (ok) { passed++; println "ok   ${name}" } else { failed++; println "FAIL ${name}\n     ${detail}" }
}

File root = new File(args ? args[0] : '.').canonicalFile
File lib = new File(root, 'jenkins-lib')
File testDir = new File(lib, 'test')
File stubBin = new File(testDir, 'bin')

// 1. Everything compiles. A Jenkinsfile's @Library annotation is Jenkins' own: a stand-in here.
GroovyClassLoader loader = new GroovyClassLoader()
loader.parseClass('''
import java.lang.annotation.*
@Retention(RetentionPolicy.SOURCE) @interface Library { String[] value() }
''')
List sources = []
lib.eachFileRecurse { File f -> if (f.name.endsWith('.groovy') && !f.path.startsWith(testDir.path)) { sources << f } }
sources << new File(root, 'examples/Jenkinsfile')
sources.sort().each { File f ->
    String rel = root.toPath().relativize(f.toPath()).toString()
    try {
        new GroovyShell(loader).parse(f)
        check("compiles: ${rel}", true)
    } catch (Exception e) {
        check("compiles: ${rel}", false, e.message)
    }
}

// 2. The vars, against stubs.
Map env = [:]
StubSteps steps = new StubSteps(env: env)
Script cm = new GroovyShell(new Binding([steps: steps, env: env])).parse(new File(lib, 'vars/cicdMonitor.groovy'))
File log = File.createTempFile('cicd-monitor-stub', '.log')
def reset = { boolean withBinary ->
    steps.calls.clear()
    env.clear()
    log.text = ''
    steps.path = withBinary ? "${stubBin.path}:/usr/bin:/bin" : '/usr/bin:/bin'
    steps.extraEnv = [STUB_LOG: log.path, CM_TEST_VAR: 'v a"l\'ue']
}
def expected = { String name -> new File(testDir, "expected/${name}").text }
def lastScript = { -> steps.calls.findAll { it[0] == 'sh' }.last()[1].script }
// The argv the stub binary saw, one argument per line after its `--- argv` line.
def stubArgv = { -> log.text.split('--- argv\n')[-1].split('--- env')[0] }

// Single quotes, $ (expanded by the inner shell only), a double-quoted variable and a newline.
String tricky = 'printf \'%s|\' "it\'s" \'$HOME\' "$CM_TEST_VAR"\nexit 3'

reset(true)
def status = cm.sh(stage: 'build', script: tricky, returnStatus: true)
check('sh: exact script', lastScript() == expected('sh-build.sh'), lastScript())
check('sh: exit status passes through', status == 3, status)
check('sh: wrap argv', stubArgv() == 'wrap\n--stage\nbuild\n--\nsh\n-xe\n-c\n' + tricky + '\n', stubArgv())

reset(true)
def out = cm.sh(stage: 'build', script: 'printf \'%s|\' "it\'s" \'$HOME\' "$CM_TEST_VAR"', returnStdout: true)
check('sh: quotes, $ and variables reach the command intact', out == 'it\'s|$HOME|v a"l\'ue|', out)

reset(true)
def thrown = null
try { cm.sh(stage: 'build', script: 'exit 7') } catch (ShError e) { thrown = e }
check('sh: a failing command fails the step with its status', thrown?.status == 7, thrown)

reset(true)
def seen = null
cm.stage('test') { seen = cm.sh(script: 'echo "$CICD_MONITOR_STAGE"', returnStdout: true) }
check('stage: Jenkins stage', steps.calls[0] == ['stage', 'test'], steps.calls[0])
check('stage: withEnv CICD_MONITOR_STAGE', steps.calls[1] == ['withEnv', ['CICD_MONITOR_STAGE=test']], steps.calls[1])
check('stage: sh inside picks the stage up', lastScript().contains('wrap --stage \'test\' --') && seen == 'test\n', lastScript())
check('stage: environment restored after', !env.containsKey('CICD_MONITOR_STAGE'), env)

reset(true)
cm('deploy') { cm.sh('true') }
check('call: same as stage', steps.calls[0] == ['stage', 'deploy'] && lastScript().contains('--stage \'deploy\''), steps.calls)

reset(true)
env.STAGE_NAME = "it's"
cm.sh('true')
check('sh: STAGE_NAME of a declarative stage, quoted', lastScript().contains('wrap --stage \'it\'\\\'\'s\' --'), lastScript())
check('sh: that stage reaches the binary', stubArgv().startsWith('wrap\n--stage\nit\'s\n--\n'), stubArgv())

reset(true)
cm.sh(script: 'echo "${BASH_VERSION:+bash}"', shell: 'bash -xeo pipefail', label: 'lbl')
def shCall = steps.calls.last()[1]
check('sh: shell and label options', lastScript().endsWith('exec "$@" bash -xeo pipefail -c \'echo "${BASH_VERSION:+bash}"\'\n') && shCall.label == 'lbl', shCall)

reset(false)
status = cm.sh(stage: 'build', script: tricky, returnStatus: true)
check('sh without the binary: runs unmonitored, same status', status == 3 && log.text == '', status)
check('sh without the binary: one warning', steps.lastStderr.contains('cicd-monitor: warning: cicd-monitor not found'), steps.lastStderr)

reset(true)
status = cm.publish()
check('publish: exact script', lastScript() == expected('publish.sh'), lastScript())
check('publish: status 0', status == 0, status)
check('publish: argv', stubArgv() == 'publish\n--to\njenkins\n--dir\n.cicd-monitor\n--artifacts\n.cicd-monitor/report\n', stubArgv())
check('publish: archives profiles and report',
      steps.calls.find { it[0] == 'archiveArtifacts' }?.getAt(1) == [artifacts: '.cicd-monitor/**', allowEmptyArchive: true],
      steps.calls)
check('publish: publishHTML of report.html',
      steps.calls.find { it[0] == 'publishHTML' }?.getAt(1)?.target?.subMap(['reportDir', 'reportFiles']) ==
          [reportDir: '.cicd-monitor/report', reportFiles: 'report.html'], steps.calls)
check('publish: no warning', !steps.calls.any { it[0] == 'echo' }, steps.calls)

reset(true)
steps.htmlPublisher = false
steps.extraEnv.STUB_PUBLISH_EXIT = '4'
env.CICD_MONITOR_OUT = "out dir/it's"
env.CICD_MONITOR_ARTIFACTS = 'reports'
status = cm.publish()
check('publish failing: status returned, build not failed', status == 4, status)
check('publish failing: warning', steps.calls.any { it[0] == 'echo' && it[1].contains('publish failed (exit 4)') }, steps.calls)
check('publish without HTML Publisher: guarded', steps.calls.any { it[0] == 'echo' && it[1].contains('HTML Publisher plugin not installed') }, steps.calls)
check('publish: directories from the environment, quoted', stubArgv() == "publish\n--to\njenkins\n--dir\nout dir/it's\n--artifacts\nreports\n", stubArgv())
check('publish: report outside the profile dir archived too',
      steps.calls.find { it[0] == 'archiveArtifacts' }?.getAt(1)?.artifacts == "out dir/it's/**,reports/**", steps.calls)
steps.htmlPublisher = true

reset(false)
status = cm.publish()
check('publish without the binary: warns, does not fail', status == 127 && steps.calls.any { it[0] == 'echo' }, status)

log.delete()
println "${passed} passed, ${failed} failed"
System.exit(failed == 0 ? 0 : 1)
