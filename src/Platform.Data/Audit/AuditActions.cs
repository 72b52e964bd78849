namespace Platform.Data.Audit;

/// <summary>The audit log's action names: stable strings, filtered on by the admin page and by operators' queries.</summary>
public static class AuditActions
{
    public const string TenantSuspend = "tenant.suspend";
    public const string TenantReactivate = "tenant.reactivate";
    public const string TenantErase = "tenant.erase";
    public const string PlanAssign = "plan.assign";
    public const string PlanSave = "plan.save";
    public const string SubscriptionCancel = "subscription.cancel";
    public const string QuotaOverride = "quota.override";
    public const string JobLimitsSet = "job_limits.set";
    public const string InvoiceStatus = "invoice.status";
    public const string CreditNoteCreate = "credit_note.create";
    public const string RefundRecord = "refund.record";
    public const string MemberInvite = "member.invite";
    public const string MemberJoin = "member.join";
    public const string MemberRemove = "member.remove";
    public const string MemberRoleChange = "member.role_change";
    public const string InvitationRevoke = "member.invitation_revoke";
    public const string ApiKeyCreate = "api_key.create";
    public const string ApiKeyRevoke = "api_key.revoke";
    public const string BaseModelImport = "base_model.import";
    public const string BaseModelDelete = "base_model.delete";
}
