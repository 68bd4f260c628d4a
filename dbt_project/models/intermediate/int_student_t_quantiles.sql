-- Student's t quantile t(0.975, df) for df 1..200, from the scipy-generated table in macros/t_quantile_975.sql.
with

final as (

    {{ t_quantile_975_values() }}

)

select * from final
