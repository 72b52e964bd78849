using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Billing.Finance;
using Platform.Billing.Invoices;
using Platform.Billing.Plans;
using Platform.Billing.Reconciliation;
using Platform.Billing.Scheduling;
using Platform.Billing.Stripe;
using Platform.Billing.Tax;
using Platform.Billing.Usage;
using Platform.Domain.Datasets;
using Platform.Domain.Usage;
using Stripe;

namespace Platform.Billing;

public static class BillingExtensions
{
    /// <summary>
    /// Plans, subscriptions, quota checks, the usage ledger and invoicing. Needs AddPlatformData; usage
    /// ingestion also needs an IUsageSource (AddJobQueue registers the job system's).
    /// </summary>
    public static IHostApplicationBuilder AddBilling(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<BillingOptions>()
            .BindConfiguration(BillingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<BillingOptions>, SignUpPlanCodeFromSetting>());
        services.AddOptions<SellerOptions>().BindConfiguration(SellerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TaxOptions>().BindConfiguration(TaxOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddScoped<BuyerDetailsStore>();
        services.AddOptions<StripeOptions>()
            .BindConfiguration(StripeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient(StripeOptions.SectionName, http => http.Timeout = SystemNetHttpClient.DefaultHttpTimeout);
        services.TryAddScoped(CreateStripeClient);
        services.TryAddScoped<StripeWebhookHandler>();
        services.TryAddScoped<ReportUsageToStripeCommand>();
        services.TryAddScoped<LinkStripeCustomerCommand>();
        services.TryAddSingleton<InvoicePdf>();
        services.TryAddScoped<FinanceUsageQueries>();
        services.TryAddScoped<UsageCharges>();
        services.TryAddScoped<InvoiceGridQuery>();
        services.TryAddScoped<ReconciliationQuery>();
        services.TryAddScoped<PeriodReconciliationQuery>();
        services.TryAddScoped<UnmatchedPaymentEventsQuery>();
        services.TryAddScoped<SavePlanCommand>();
        services.TryAddScoped<PlanQueries>();
        services.TryAddScoped<AssignPlanCommand>();
        services.TryAddScoped<ChoosePlanCommand>();
        services.TryAddEnumerable(ServiceDescriptor.Scoped<Platform.Data.Tenants.ITenantCreatedHandler, SignUpSubscription>());
        // Erasing an organisation deletes its Stripe customer (EraseTenantCommand runs the cleanups after its commit).
        services.TryAddEnumerable(ServiceDescriptor.Scoped<Platform.Data.Tenants.ITenantErasureCleanup, DeleteStripeCustomerOnErasure>());
        services.TryAddScoped<CancelSubscriptionCommand>();
        services.TryAddScoped<BackdateSubscriptionCommand>();
        services.TryAddScoped<SetQuotaOverrideCommand>();
        services.TryAddScoped<GetTenantSubscriptionQuery>();
        services.TryAddScoped<Usage.GetModelCostQuery>();
        services.TryAddScoped<Usage.EstimateLaunchCostQuery>();
        services.TryAddScoped<GetQuotaOverrideQuery>();
        services.TryAddScoped<IngestUsageCommand>();
        services.TryAddScoped<CheckLaunchQuotaQuery>();
        // Launches (Platform.Jobs) ask billing through this when both modules are in the host.
        services.TryAddScoped<ILaunchQuota, LaunchQuota>();
        // Uploads (Platform.Data) read the plan's dataset and storage limits through this.
        services.TryAddScoped<IDatasetQuota, DatasetQuota>();
        services.TryAddScoped<GetTenantBillingSummaryQuery>();
        services.TryAddScoped<ClosePeriodCommand>();
        services.TryAddScoped<CloseDuePeriodsCommand>();
        services.TryAddScoped<PushInvoiceToStripeCommand>();
        services.TryAddScoped<InvoiceQueries>();
        services.TryAddScoped<ChangeInvoiceStatusCommand>();
        services.TryAddScoped<CreateCreditNoteCommand>();
        return builder;
    }

    /// <summary>
    /// Stripe.net's client over a factory-made HttpClient (so its handler is recycled), pointed at
    /// Stripe:BaseUrl. Scoped, like the commands that use it. Without a secret key it carries none:
    /// every command checks StripeOptions.Enabled before calling Stripe.
    /// </summary>
    private static IStripeClient CreateStripeClient(IServiceProvider services)
    {
        var settings = services.GetRequiredService<IOptions<StripeOptions>>().Value;
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient(StripeOptions.SectionName);
        return new StripeClient(new StripeClientOptions
        {
            ApiKey = settings.Enabled ? settings.SecretKey : null,
            ApiBase = settings.BaseUrl.TrimEnd('/'),
            HttpClient = new SystemNetHttpClient(http, settings.MaxRetries),
        });
    }

    /// <summary>
    /// The billing scheduler (section "BillingScheduler"): its steps (ingest usage, close ended periods,
    /// report to Stripe) and their Hangfire job class, <see cref="BillingJobs"/>. Nothing runs by itself:
    /// the host that runs a Hangfire server puts the steps on its schedule with <see cref="BillingJobs.Schedule"/>
    /// (docs/decisions/0024). Needs AddBilling (and an IUsageSource to ingest).
    /// </summary>
    public static IHostApplicationBuilder AddBillingScheduler(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BillingSchedulerOptions>()
            .BindConfiguration(BillingSchedulerOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<BillingScheduler>();
        builder.Services.TryAddScoped<BillingJobs>();
        return builder;
    }
}
