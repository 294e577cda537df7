//! The HTML report in a real browser: headless Chromium (Debian's `chromium`) opens it with
//! every network request sent to a dead proxy, and the rendered page must show the charts.
//! Skipped with a message when Chromium is not installed, except in CI (`CI` set), where
//! `.ci/run` installs it.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Flags for an offline, sandbox-free (root in CI) headless run.
fn offline_args(profile_dir: &Path) -> Vec<String> {
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--no-first-run".into(),
        "--disable-extensions".into(),
        "--disable-background-networking".into(),
        // No network: every request goes to a closed port, every name fails to resolve.
        "--proxy-server=http://127.0.0.1:9".into(),
        "--host-resolver-rules=MAP * ~NOTFOUND".into(),
        format!("--user-data-dir={}", profile_dir.display()),
    ]
}

#[test]
fn html_report_renders_its_charts_offline_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed; .ci/run installs it"
        );
        eprintln!("skipped: chromium is not installed");
        return;
    };
    let env = Env::new();
    let dir = env.path().join("job");
    std::fs::create_dir_all(&dir).unwrap();
    pipeline_profiles(&dir);
    let html = env.path().join("report.html");
    let o = Command::new(bin())
        .args(["report", "--format", "html", "--dir"])
        .arg(&dir)
        .arg("--output")
        .arg(&html)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let url = format!("file://{}", html.display());

    // The DOM as the browser parsed it: the gantt and four charts for each of the 4 stages,
    // each chart with its drawn series.
    let o = Command::new(browser)
        .args(offline_args(&env.path().join("chrome-dom")))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let dom = stdout(&o);
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 16, "charts");
    assert_eq!(dom.matches("data-chart=\"gantt\"").count(), 1, "gantt");
    assert_eq!(dom.matches("<rect class=\"bar").count(), 4, "gantt bars");
    assert!(
        dom.matches("<polyline class=\"series").count() >= 16,
        "series"
    );
    let o = Command::new(bin())
        .args(["report", "--format", "json", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let findings = report["findings"].as_array().unwrap().len();
    assert!(findings >= 3);
    assert_eq!(
        dom.matches("class=\"finding\"").count(),
        findings,
        "findings"
    );

    // The screenshot: the charts' colours are on the page, so they were drawn.
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let o = Command::new(browser)
        .args(offline_args(&env.path().join("chrome-shot")))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1100,2400")
        .arg(&url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels: Vec<&[u8]> = buf[..info.buffer_size()].chunks(channels).collect();
    let near = |p: &[u8], rgb: [u8; 3]| {
        p.iter()
            .zip(rgb)
            .all(|(a, b)| (i16::from(*a) - i16::from(b)).abs() <= 24)
    };
    // Series blue (#0969da), gantt critical red (#cf222e), gantt blue (#54aeff).
    for (name, rgb, at_least) in [
        ("series blue", [0x09, 0x69, 0xda], 200),
        ("critical stage bar", [0xcf, 0x22, 0x2e], 500),
        ("stage bars", [0x54, 0xae, 0xff], 500),
    ] {
        let n = pixels.iter().filter(|p| near(p, rgb)).count();
        assert!(
            n >= at_least,
            "{name}: {n} pixels; screenshot {}",
            png.display()
        );
    }
}
