using Hangfire;
using Microsoft.Extensions.Options;
using Platform.Billing.Scheduling;
using Platform.Billing.Stripe;

namespace Platform.Web.Background;

/// <summary>
/// At start, puts the platform's recurring jobs on Hangfire's schedule (or updates them from the
/// configuration): the billing steps, housekeeping and account mail. Registered only where a Hangfire server runs.
/// </summary>
internal sealed class BackgroundJobsSchedule(
    IRecurringJobManager recurring,
    IOptions<BillingSchedulerOptions> billing,
    IOptions<StripeOptions> stripe,
    IOptions<HousekeepingOptions> housekeeping) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        BillingJobs.Schedule(recurring, billing, stripe);
        HousekeepingJobs.Schedule(recurring, housekeeping.Value);
        Accounts.Mail.AccountMailJobs.Schedule(recurring);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
