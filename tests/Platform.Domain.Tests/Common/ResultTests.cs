using Platform.Domain.Common;

namespace Platform.Domain.Tests.Common;

public class ResultTests
{
    [Fact]
    public void Value_Failure_Throws()
    {
        var result = Result<int>.NotFound("No such dataset.");

        Assert.Throws<InvalidOperationException>(() => result.Value);
        Assert.Equal("No such dataset.", result.Error);
    }

    [Fact]
    public void BadRequest_EmptyMessage_Throws()
    {
        Assert.Throws<ArgumentException>(() => Result.BadRequest(" "));
    }

    [Fact]
    public void From_Failure_KeepsStatusAndMessage()
    {
        var carried = Result<string>.From(Result.Forbidden("Suspended."));

        Assert.Equal(ResultStatus.Forbidden, carried.Status);
        Assert.Equal("Suspended.", carried.Error);
    }

    [Fact]
    public void From_Success_Throws()
    {
        Assert.Throws<ArgumentException>(() => Result<string>.From(Result.Success()));
    }
}
