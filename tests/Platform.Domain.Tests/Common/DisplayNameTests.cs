using Platform.Domain.Common;

namespace Platform.Domain.Tests.Common;

public sealed class DisplayNameTests
{
    [Theory]
    [InlineData("Support tickets")]
    [InlineData("  Résumés 2026 – 日本語  ")]
    [InlineData("مرحبا")] // right-to-left text itself is fine; only the formatting characters are refused
    public void Check_OrdinaryNames_Pass(string name) => Assert.Null(DisplayName.Check(name, "The name", 200));

    [Theory]
    [InlineData("", "1 to 200")]
    [InlineData("   ", "1 to 200")]
    [InlineData("tab\there", "control characters")]
    [InlineData("\u001B[31mred", "control characters")]
    [InlineData("invoice\u202Egpj.exe", "text-direction")]
    [InlineData("a\u2066b\u2069", "text-direction")]
    [InlineData("mark\u200F", "text-direction")]
    public void Check_EmptyOrHiddenCharacters_SaysWhy(string name, string why) =>
        Assert.Contains(why, DisplayName.Check(name, "The name", 200));

    [Fact]
    public void Check_TooLong_SaysTheLimitAndTheLength()
    {
        var why = DisplayName.Check(new string('x', 5000), "The job name", 200);

        Assert.Equal("The job name must be 1 to 200 characters (it is 5,000).", why);
    }

    [Fact]
    public void Clean_MadeUpName_LosesHiddenCharactersAndIsCut()
    {
        Assert.Equal("Predict a  b.csv", DisplayName.Clean("Predict a\u202E\u0007b.csv", 200));
        Assert.Equal("abc", DisplayName.Clean("abc   def", 5));
    }
}
