//! Several apps in one process, as this test binary runs them: starting one never stalls the
//! pages of another.

use std::time::Duration;

use crate::kit::*;

/// An app lists its page routes by rendering them with every resource held pending through a
/// process-wide switch. Were that done by every app as it starts, a page of another app whose
/// resources first ran meanwhile would never answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_an_app_never_stalls_the_pages_of_another() {
    let app = spawn_app().await;
    let deployment = (app.database_url.clone(), app.cache_prefix.clone());
    let starter = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            for _ in 0..6 {
                let instance = spawn_app_with(Options {
                    instance_of: Some(deployment.clone()),
                    ..Options::default()
                })
                .await;
                assert_eq!(instance.get("/stock/MSFT").await.status(), 200);
            }
        });
    });

    let mut served = 0;
    for path in ["/stock/GOOG", "/news/GOOG", "/predict/GOOG"]
        .iter()
        .cycle()
    {
        if starter.is_finished() {
            break;
        }
        let page = async {
            let res = app.get(path).await;
            (res.status(), res.text().await)
        };
        let (status, body) = tokio::time::timeout(Duration::from_secs(10), page)
            .await
            .unwrap_or_else(|_| panic!("{path} answers within 10 s while other apps start"));
        assert_eq!(status, 200, "{path}");
        assert!(body.is_ok_and(|b| b.contains("</html>")), "{path} is whole");
        served += 1;
    }
    starter.join().expect("the other apps start and serve");
    assert!(served >= 6, "{served} pages served while six apps started");
}
