-- dq_results: one row per expectation result, the compact form of dq_expectation_results.
CREATE OR REPLACE VIEW dq_results AS
SELECT
    run_id,
    suite,
    expectation_type AS expectation,
    "column" AS column_name,
    success,
    coalesce(observed_value, json_object('unexpected_count', unexpected_count, 'sample', sample_unexpected)::VARCHAR)
        AS observed,
    validated_at
FROM dq_expectation_results;
COMMENT ON VIEW dq_results IS 'Every expectation result of every validation (compact view of dq_expectation_results).';
