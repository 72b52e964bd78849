using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Domain.Tests.Tenants;

public class TenantTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private static Tenant NewTenant() => Tenant.Create("Acme Labs", "acme-labs", Now).Value;

    [Fact]
    public void Create_ValidName_IsActive()
    {
        var tenant = NewTenant();

        Assert.Equal(TenantStatus.Active, tenant.Status);
        Assert.True(tenant.EnsureCanWrite().IsSuccess);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Create_BlankName_ReturnsBadRequest(string name)
    {
        Assert.Equal(ResultStatus.BadRequest, Tenant.Create(name, "acme", Now).Status);
    }

    [Fact]
    public void Create_InvalidSlug_ReturnsBadRequest()
    {
        Assert.Equal(ResultStatus.BadRequest, Tenant.Create("Acme", "Acme Labs", Now).Status);
    }

    [Fact]
    public void Suspend_Active_BlocksWritesWithReason()
    {
        var tenant = NewTenant();

        Assert.True(tenant.Suspend("Payment overdue").IsSuccess);

        var write = tenant.EnsureCanWrite();
        Assert.Equal(ResultStatus.Forbidden, write.Status);
        Assert.Contains("Payment overdue", write.Error);
    }

    [Fact]
    public void Suspend_NoReason_ReturnsBadRequest()
    {
        var tenant = NewTenant();

        Assert.Equal(ResultStatus.BadRequest, tenant.Suspend(" ").Status);
        Assert.False(tenant.IsSuspended);
    }

    [Fact]
    public void Suspend_AlreadySuspended_ReturnsConflict()
    {
        var tenant = NewTenant();
        tenant.Suspend("Abuse");

        Assert.Equal(ResultStatus.Conflict, tenant.Suspend("Again").Status);
    }

    [Fact]
    public void Reactivate_Suspended_ClearsReason()
    {
        var tenant = NewTenant();
        tenant.Suspend("Abuse");

        Assert.True(tenant.Reactivate().IsSuccess);
        Assert.Equal(TenantStatus.Active, tenant.Status);
        Assert.Null(tenant.SuspensionReason);
    }

    [Fact]
    public void Reactivate_Active_ReturnsConflict()
    {
        Assert.Equal(ResultStatus.Conflict, NewTenant().Reactivate().Status);
    }

    [Theory]
    [InlineData("Acme Labs", "acme-labs")]
    [InlineData("  Big   Data!! Corp 2 ", "big-data-corp-2")]
    [InlineData("Café Noir", "caf-noir")]
    [InlineData("***", "org")]
    public void FromName_AnyName_GivesValidSlug(string name, string expected)
    {
        var slug = TenantSlug.FromName(name);

        Assert.Equal(expected, slug);
        Assert.True(TenantSlug.IsValid(slug));
    }

    [Theory]
    [InlineData("-acme")]
    [InlineData("acme-")]
    [InlineData("ac--me")]
    [InlineData("ACME")]
    public void IsValid_MalformedSlug_ReturnsFalse(string slug)
    {
        Assert.False(TenantSlug.IsValid(slug));
    }
}
