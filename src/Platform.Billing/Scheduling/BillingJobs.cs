using System.ComponentModel;
using Hangfire;
using Microsoft.Extensions.Options;
using Platform.Billing.Stripe;

namespace Platform.Billing.Scheduling;

/// <summary>
/// The billing steps as Hangfire jobs: the recurring jobs' targets, resolved from the container in a
/// scope of their own. A failing step throws, so Hangfire keeps it in its history as failed and
/// retries it; every step is safe to retry: ingestion inserts on the ledger key (ON CONFLICT DO
/// NOTHING), a period close is once-only under its own lock and unique key, and a meter event carries
/// its ledger row's key as Stripe's identifier. Overlapping runs of one step (a retry, the next
/// occurrence, an admin's "trigger now") meet at the step's advisory lock: the second returns at once
/// (see <see cref="BillingScheduler"/>). Retries are few and soon: the next occurrence tries again anyway.
/// </summary>
public sealed class BillingJobs(BillingScheduler scheduler)
{
    public const string IngestUsageId = "billing:ingest-usage";
    public const string CloseDuePeriodsId = "billing:close-due-periods";
    public const string ReportUsageToStripeId = "billing:report-usage-to-stripe";

    [DisplayName("Billing: ingest usage into the ledger")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 60, 300])]
    public Task<BillingStepResult> IngestUsageAsync(CancellationToken cancellationToken) =>
        scheduler.RunStepAsync(BillingStep.IngestUsage, cancellationToken);

    [DisplayName("Billing: close ended periods into invoices")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 60, 300])]
    public Task<BillingStepResult> CloseDuePeriodsAsync(CancellationToken cancellationToken) =>
        scheduler.RunStepAsync(BillingStep.CloseDuePeriods, cancellationToken);

    [DisplayName("Billing: report usage to Stripe")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 60, 300])]
    public Task<BillingStepResult> ReportUsageToStripeAsync(CancellationToken cancellationToken) =>
        scheduler.RunStepAsync(BillingStep.ReportUsageToStripe, cancellationToken);

    /// <summary>
    /// Puts the billing steps on the schedule (or takes them off when BillingScheduler:Enabled is false;
    /// the Stripe step also when no Stripe keys are set). AddOrUpdate keeps each job's history and
    /// last run, so every start of every instance may call it.
    /// </summary>
    public static void Schedule(IRecurringJobManager recurring, IOptions<BillingSchedulerOptions> options, IOptions<StripeOptions> stripe)
    {
        var settings = options.Value;
        var cron = BillingSchedulerOptions.CronFor(settings.Interval)
                   ?? throw new InvalidOperationException($"BillingScheduler:Interval {settings.Interval} has no cron schedule.");
        var utc = new RecurringJobOptions { TimeZone = TimeZoneInfo.Utc };
        if (settings.Enabled)
        {
            recurring.AddOrUpdate<BillingJobs>(IngestUsageId, j => j.IngestUsageAsync(CancellationToken.None), cron, utc);
            recurring.AddOrUpdate<BillingJobs>(CloseDuePeriodsId, j => j.CloseDuePeriodsAsync(CancellationToken.None), cron, utc);
        }
        else
        {
            recurring.RemoveIfExists(IngestUsageId);
            recurring.RemoveIfExists(CloseDuePeriodsId);
        }
        if (settings.Enabled && stripe.Value.Enabled)
            recurring.AddOrUpdate<BillingJobs>(ReportUsageToStripeId, j => j.ReportUsageToStripeAsync(CancellationToken.None), cron, utc);
        else
            recurring.RemoveIfExists(ReportUsageToStripeId);
    }
}
