using Platform.Training.Data;
using Platform.Training.Metrics;
using Platform.Training.Tests.Common;
using Platform.Training.Tests.Training;
using Platform.Training.Training;

namespace Platform.Training.Tests.Metrics;

[Collection(TrainerCollection.Name)]
public sealed class ValidationPredictionsTests
{
    private static readonly string[] Labels = ["cat", "dog", "fox"];

    private static ValidationExample Example(string id, int truth, int predicted, float top) =>
        new(id, truth, predicted, Enumerable.Range(0, 3).Select(c => c == predicted ? top : (1 - top) / 2).ToArray());

    private static readonly ValidationPredictions Six = new("validation", Labels,
    [
        Example("a", 0, 0, 0.95f), Example("b", 0, 1, 0.90f), Example("c", 1, 1, 0.60f),
        Example("d", 1, 1, 0.40f), Example("e", 2, 0, 0.55f), Example("f", 2, 2, 0.99f),
    ]);

    [Fact]
    public void At_ZeroThreshold_AnswersEverythingAndPrecisionIsAccuracy()
    {
        var report = ThresholdReport.At(Six, 0);

        Assert.Equal(1.0, report.Coverage);
        Assert.Equal(4 / 6.0, report.Precision!.Value, 12);
        Assert.Equal(4 / 6.0, report.Recall, 12);
    }

    [Fact]
    public void At_Threshold_KeepsConfidentAnswersOnlyPerClassToo()
    {
        var report = ThresholdReport.At(Six, 0.6);

        // Kept: a (right), b (wrong), c (right, exactly at the threshold), f (right).
        Assert.Equal(4, report.Kept);
        Assert.Equal(3, report.KeptCorrect);
        Assert.Equal(4 / 6.0, report.Coverage, 12);
        Assert.Equal(0.75, report.Precision!.Value, 12);
        Assert.Equal(0.5, report.Recall, 12);
        var cat = report.PerClass[0];
        Assert.Equal((2, 1, 1.0, 0.5), (cat.Support, cat.Kept, cat.Precision, cat.Recall));
        var dog = report.PerClass[1];
        Assert.Equal((2, 2, 0.5, 0.5), (dog.Support, dog.Kept, dog.Precision, dog.Recall));
    }

    [Fact]
    public void At_ThresholdAboveEveryScore_HasNoPrecision()
    {
        var report = ThresholdReport.At(Six, 1);

        Assert.Equal(0, report.Kept);
        Assert.Null(report.Precision);
        Assert.Equal(0, report.Recall);
        Assert.All(report.PerClass, c => Assert.Null(c.Precision));
        Assert.Throws<ArgumentOutOfRangeException>(() => ThresholdReport.At(Six, 1.5));
    }

    [Fact]
    public void Misclassified_MostConfidentMistakeFirst()
    {
        Assert.Equal(["b", "e"], Six.Misclassified.Select(e => e.Id));
    }

    [Fact]
    public void Parse_ScoresOfAnotherLabelCount_Refused()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(Six with { Labels = ["cat", "dog"] });

        Assert.Throws<InvalidDataException>(() => ValidationPredictions.Parse(json, "p.json"));
    }

    [Fact]
    public void Train_ImagesWithMislabelledFiles_StoresEveryValidationPredictionAndThumbnailsOfTheMistakes()
    {
        using var dir = new TestDirectory();
        var images = dir.File("images");
        TestData.WriteImageFolders(images, perLabel: 20);
        // Four bright images filed under dark: a model that learns bright from dark gets them wrong.
        var random = new Random(3);
        for (var i = 0; i < 4; i++)
        {
            var pixels = Enumerable.Range(0, 28 * 28).Select(_ => (byte)(190 + random.Next(-50, 50))).ToArray();
            File.WriteAllBytes(Path.Combine(images, "dark", $"x{i:D2}.png"), TestData.GreyPng(28, 28, pixels));
        }
        // Files load in name order: bright/000-019, dark/000-019, dark/x00-x03. The mislabelled ones are validated only.
        int[] validation = [.. Enumerable.Range(0, 5), .. Enumerable.Range(20, 5), .. Enumerable.Range(40, 4)];
        var split = new DataSplit(Enumerable.Range(0, 44).Except(validation).ToArray(), validation);

        var result = Trainer.Train(new TrainingRequest(images, "cnn-28-grey", dir.File("out"),
            new TrainingOptions { Epochs = 3, BatchSize = 8, Threads = 1 }, Split: split));

        var predictions = ValidationPredictions.Parse(File.ReadAllText(dir.File("out/" + ValidationPredictions.FileName)), "predictions");
        Assert.Equal(14, predictions.Examples.Count);
        Assert.Equal(["bright", "dark"], predictions.Labels);
        Assert.Equal(result.Metrics.Evaluation.Accuracy, predictions.Examples.Count(e => e.Correct) / 14.0, 12);
        var wrong = predictions.Misclassified.ToList();
        Assert.Equal(["dark/x00.png", "dark/x01.png", "dark/x02.png", "dark/x03.png"], wrong.Select(e => e.Id).Order());
        Assert.All(wrong, e => Assert.Equal(("dark", "bright"), (predictions.Labels[e.Truth], predictions.Labels[e.Predicted])));
        Assert.All(wrong, e => Assert.StartsWith("data:image/png;base64,iVBORw0KGgo", e.Thumbnail));
        Assert.All(predictions.Examples.Where(e => e.Correct), e => Assert.Null(e.Thumbnail));
        Assert.All(predictions.Examples, e => Assert.Equal(1.0, e.Scores.Sum(), 3));
    }
}
