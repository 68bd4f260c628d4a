-- The disclosure settings this build applied (methodology §6), one row: the configured values (the launch's
-- thresholds, as passed in --vars) and the values in force under the profile, as the macro disclosure_setting
-- resolves them. The release gate compares it with its own run's thresholds and records it in the manifest: the
-- marts are published only under the thresholds they were built with. A table rebuilt by every build (no year).
{{ config(materialized='table') }}

with

final as (

    select
        cast('{{ var("disclosure_profile", "default") }}' as varchar) as disclosure_profile,
        cast({{ var('min_respondents') }} as integer) as min_respondents,
        cast({{ var('min_companies') }} as integer) as min_companies,
        cast({{ var('max_company_share') }} as double) as max_company_share,
        cast({{ var('min_companies_distribution') }} as integer) as min_companies_distribution,
        cast({{ var('colluding_companies') }} as integer) as colluding_companies,
        cast({{ disclosure_setting('min_respondents') }} as integer) as applied_min_respondents,
        cast({{ disclosure_setting('min_companies') }} as integer) as applied_min_companies,
        cast({{ disclosure_setting('max_company_share') }} as double) as applied_max_company_share,
        cast({{ disclosure_setting('p_percent') or 'null' }} as double) as applied_p_percent,
        cast(
            {{ disclosure_setting('min_companies_distribution') }} as integer
        ) as applied_min_companies_distribution

)

select * from final
