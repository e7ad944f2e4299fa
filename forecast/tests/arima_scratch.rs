use forecast::arima::{Arima, ArimaOrder, AutoArima, VarianceEstimator};
use forecast::Ohlcv;
#[test]
#[ignore]
fn scratch() {
    let hist = Ohlcv::from_csv(&std::fs::read_to_string("tests/data/goog_2004_2013.csv").unwrap()).unwrap();
    let y: Vec<f64> = hist.close().iter().map(|c| c.ln()).collect();
    let t = y.len() - 255;
    let w = &y[t.saturating_sub(2519)..=t];
    for (p, q, c) in [(1, 1, false), (2, 2, true), (0, 0, true), (1, 1, true)] {
        let s = Arima { constant: c, variance: VarianceEstimator::DegreesOfFreedom, ..Arima::new(ArimaOrder::new(p, 1, q).unwrap()) };
        let f = s.fit_series(w).unwrap();
        println!("({p},1,{q}) c={c}: ar {:?} ma {:?} mean {} ll {} aicc {} conv {}", f.ar, f.ma, f.mean, f.loglik, f.aicc, f.converged);
    }
    let a = AutoArima::default().fit_series(w).unwrap();
    println!("{:?}", a.candidates);
}
