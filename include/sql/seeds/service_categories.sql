-- FOCUS ServiceCategory / ServiceSubcategory per provider service, from
-- include/sql/seeds/service_categories.csv (services not listed: Other / Other (Other)).
SELECT provider, service, service_category, service_subcategory
FROM values(
    'provider String, service String, service_category String, service_subcategory String'
{%- for provider, service, category, subcategory in config.service_categories %},
    ({{ lit(provider) }}, {{ lit(service) }}, {{ lit(category) }}, {{ lit(subcategory) }})
{%- endfor %}
)
