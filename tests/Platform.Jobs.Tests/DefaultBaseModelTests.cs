using Platform.Domain.Datasets;
using Platform.Jobs.Launch;

namespace Platform.Jobs.Tests;

public sealed class DefaultBaseModelTests
{
    [Theory]
    [InlineData(28, 0, "cnn-28-grey")]     // Fashion-MNIST
    [InlineData(32, 60, "cnn-32-rgb")]     // 32x32 colour shapes: not the 28x28 grey default of before
    [InlineData(32, 0, "cnn-28-grey")]     // small greyscale glyphs
    [InlineData(48, 10, "cnn-32-rgb")]
    [InlineData(128, 100, "resnet-small")] // photos
    [InlineData(256, 0, "resnet-small")]   // large greyscale scans keep more detail at 64x64
    public void ImagePreset_FollowsSizeAndColour(int side, int colour, string expected)
    {
        var stats = new DatasetStats(side, side, side, side, side, side, ColourCount: colour, TransparentCount: 0);

        Assert.Equal(expected, DefaultBaseModel.ImagePreset(stats));
    }

    [Fact]
    public void ImagePreset_ProfiledBeforeColourWasCounted_GoesBySize()
    {
        Assert.Equal("cnn-28-grey", DefaultBaseModel.ImagePreset(new DatasetStats(28, 28, 28, 28, 28, 28)));
        Assert.Equal("cnn-32-rgb", DefaultBaseModel.ImagePreset(new DatasetStats(32, 32, 32, 32, 32, 32)));
    }
}
