//! The native tasks this build ships, one folder each, on the framework in
//! `crate::native`. Adding one: a folder like `customer_analysis/` and its
//! tasks listed in [`CATALOG`] (ARCHITECTURE.md, "Adding a native task").

pub mod customer_analysis;

use crate::native::Catalog;

pub static CATALOG: Catalog = Catalog {
    tasks: &[
        customer_analysis::PREPROCESS_AND_SCORE,
        customer_analysis::FEATURIZATION_AND_SEGMENTATION,
        customer_analysis::SEGMENT_ANALYSIS,
        customer_analysis::HIGH_VALUE_CUST_SUMMARY_STATISTICS,
    ],
};

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    use super::*;
    use crate::native::{NativeInput, TaskError};

    #[test]
    fn an_interrupted_call_stops_at_its_first_block() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.csv");
        let header = "TotalPurchaseAmount,NumberOfPurchases,AverageReviewScore,TotalPurchaseTime";
        std::fs::write(&path, format!("{header}\n100.5,2,3.5,40\n")).unwrap();
        let args = [NativeInput::Scalar(path.to_str().unwrap().into())];
        let task = "customer_analysis.preprocess_and_score";
        let interrupted = crate::interrupt::with(Some(Arc::new(AtomicBool::new(true))), || CATALOG.call(task, &args));
        assert!(matches!(interrupted, Err(TaskError::Interrupted { .. })), "{:?}", interrupted.map(|f| f.len()));
        assert_eq!(CATALOG.call(task, &args).unwrap()[0].height(), 1, "without the flag it runs");
    }
}
