using Npgsql;
using Platform.Domain.Common;

namespace Platform.Billing.Invoices;

/// <summary>Finance's manual moves: finalize a draft, record a payment made outside Stripe, void an unpaid invoice.</summary>
public sealed class ChangeInvoiceStatusCommand(NpgsqlDataSource dataSource, TimeProvider clock)
{
    public async Task<Result> ExecuteAsync(Guid invoiceId, InvoiceStatus target, CancellationToken cancellationToken = default)
    {
        if (target == InvoiceStatus.Draft)
            return Result.BadRequest("An invoice cannot go back to draft.");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var moved = await InvoiceTransitions.MoveAsync(connection, transaction, invoiceId, target, clock.GetUtcNow(), cancellationToken);
        if (moved is null)
            return Result.NotFound("Invoice not found.");
        if (moved.Value.After != target)
            return Result.Conflict($"A {moved.Value.Before.ToString().ToLowerInvariant()} invoice cannot become {target.ToString().ToLowerInvariant()}." +
                                   (moved.Value.Before == InvoiceStatus.Paid ? " Issue a credit note to correct it." : ""));
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }
}
