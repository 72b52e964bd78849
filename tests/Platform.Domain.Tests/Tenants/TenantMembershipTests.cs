using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Domain.Tests.Tenants;

public class TenantMembershipTests
{
    private static TenantMembership Membership(TenantRole role) => new(Guid.NewGuid(), Guid.NewGuid(), role, DateTimeOffset.UtcNow);

    [Fact]
    public void ChangeRole_LastOwnerToMember_ReturnsConflictAndStaysOwner()
    {
        var owner = Membership(TenantRole.Owner);

        var result = owner.ChangeRole(TenantRole.Member, owners: 1);

        Assert.Equal(ResultStatus.Conflict, result.Status);
        Assert.Equal(TenantRole.Owner, owner.Role);
    }

    [Fact]
    public void ChangeRole_OneOfTwoOwnersToMember_Changes()
    {
        var owner = Membership(TenantRole.Owner);

        Assert.True(owner.ChangeRole(TenantRole.Member, owners: 2).IsSuccess);
        Assert.Equal(TenantRole.Member, owner.Role);
    }

    [Fact]
    public void ChangeRole_MemberToOwner_ChangesWhateverTheOwnerCount()
    {
        var member = Membership(TenantRole.Member);

        Assert.True(member.ChangeRole(TenantRole.Owner, owners: 1).IsSuccess);
        Assert.Equal(TenantRole.Owner, member.Role);
    }

    [Fact]
    public void ChangeRole_UnknownRole_ReturnsBadRequest()
    {
        var member = Membership(TenantRole.Member);

        Assert.Equal(ResultStatus.BadRequest, member.ChangeRole((TenantRole)7, owners: 3).Status);
        Assert.Equal(TenantRole.Member, member.Role);
    }

    [Theory]
    [InlineData(TenantRole.Owner, 1, false)]
    [InlineData(TenantRole.Owner, 2, true)]
    [InlineData(TenantRole.Member, 1, true)]
    public void CanBeRemoved_KeepsAnOwner(TenantRole role, int owners, bool removable)
    {
        Assert.Equal(removable, Membership(role).CanBeRemoved(owners).IsSuccess);
    }
}
