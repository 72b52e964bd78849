using Platform.Domain.Common;
using Platform.Domain.Tenants;

namespace Platform.Domain.Tests.Tenants;

public class InvitationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    private static (Invitation Invitation, string Token) NewInvitation() =>
        Invitation.Create(Guid.NewGuid(), "ann@example.com", TenantRole.Member, Guid.NewGuid(), Now, TimeSpan.FromDays(7)).Value;

    [Fact]
    public void Create_Valid_StoresOnlyTokenHash()
    {
        var (invitation, token) = NewInvitation();

        Assert.NotEqual(token, invitation.TokenHash);
        Assert.Equal(Invitation.HashToken(token), invitation.TokenHash);
        Assert.Equal(Invitation.TokenHashLength, invitation.TokenHash.Length);
        Assert.Equal(Now.AddDays(7), invitation.ExpiresAt);
    }

    [Fact]
    public void Create_TwoInvitations_HaveDifferentTokens()
    {
        Assert.NotEqual(NewInvitation().Token, NewInvitation().Token);
    }

    [Fact]
    public void Create_NoEmail_ReturnsBadRequest()
    {
        var result = Invitation.Create(Guid.NewGuid(), "nobody", TenantRole.Member, Guid.NewGuid(), Now, TimeSpan.FromDays(1));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
    }

    [Fact]
    public void Accept_BeforeExpiry_RecordsUser()
    {
        var (invitation, _) = NewInvitation();
        var user = Guid.NewGuid();

        Assert.True(invitation.Accept(user, Now.AddDays(6)).IsSuccess);
        Assert.Equal(user, invitation.AcceptedByUserId);
        Assert.True(invitation.IsAccepted);
    }

    [Fact]
    public void Accept_AtExpiry_ReturnsBadRequest()
    {
        var (invitation, _) = NewInvitation();

        var result = invitation.Accept(Guid.NewGuid(), Now.AddDays(7));

        Assert.Equal(ResultStatus.BadRequest, result.Status);
        Assert.False(invitation.IsAccepted);
    }

    [Fact]
    public void Accept_Twice_ReturnsConflict()
    {
        var (invitation, _) = NewInvitation();
        invitation.Accept(Guid.NewGuid(), Now);

        Assert.Equal(ResultStatus.Conflict, invitation.Accept(Guid.NewGuid(), Now).Status);
    }
}
