using Npgsql;
using Platform.Data.Audit;
using Platform.Domain.Common;

namespace Platform.Billing.Invoices;

/// <summary>Finance's manual moves: finalize a draft, record a payment made outside Stripe, void an unpaid invoice.</summary>
public sealed class ChangeInvoiceStatusCommand(NpgsqlDataSource dataSource, TimeProvider clock, AuditTrail audit)
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
        var invoice = await AuditTrail.ReadJsonAsync(connection, transaction,
            "SELECT json_build_object('tenantId', tenant_id, 'number', number)::text FROM invoices WHERE id = $1", invoiceId, cancellationToken);
        await audit.WriteAsync(connection, transaction, AuditActions.InvoiceStatus,
            invoice?.GetProperty("tenantId").GetGuid(), invoice?.GetProperty("number").GetString() ?? invoiceId.ToString(),
            new { status = moved.Value.Before.ToString() }, new { status = moved.Value.After.ToString() }, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Result.Success();
    }
}
