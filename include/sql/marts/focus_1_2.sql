-- finops.focus_1_2: finops.focus in the FOCUS 1.2 shape, for tools and validators that expect 1.2 (the FinOps
-- Foundation's validator bundles only its 1.2 model offline). The 1.4 columns 1.2 does not have are left out;
-- ProviderName and PublisherName come back from the 1.4 entity columns, as FOCUS 1.3's entity identification
-- maps them: ProviderName was the cloud (HostProviderName; the service provider where no host is named),
-- PublisherName the entity that made the service (ServiceProviderName: the seller on marketplace rows).
SELECT
    * EXCEPT (ServiceProviderName, HostProviderName, InvoiceDetailId, CommitmentProgramEligibilityDetails, ContractApplied,
              AllocatedMethodDetails, AllocatedMethodId, AllocatedResourceId, AllocatedResourceName, AllocatedTags),
    CAST(ifNull(HostProviderName, ServiceProviderName) AS String) AS ProviderName,
    ServiceProviderName AS PublisherName
FROM {{ ref('focus') }}
