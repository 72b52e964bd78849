using System.Globalization;
using System.Text;
using Platform.Training.Tabular;
using Platform.Training.Tests.Common;
using Platform.Training.Training;
using Platform.Training.Torch;

namespace Platform.Training.Tests.Tabular;

public sealed class TabularTrainingTests
{
    [Fact]
    public void Train_ChurnCsv_LearnsAndSavesPreprocessingFittedOnTrainingRowsOnly()
    {
        using var dir = new TestDirectory();
        TestData.WriteChurnCsv(dir.File("churn.csv"), 400);
        var options = new TrainingOptions
        {
            Epochs = 30, Threads = 1, ValidationFraction = 0.25, TabularColumns = new TabularColumns("churn", ["customer_id"]),
        };

        var result = Trainer.Train(new TrainingRequest(dir.File("churn.csv"), TabularClassifier.Preset, dir.File("out"), options));

        var evaluation = result.Metrics.Evaluation;
        Assert.Equal(["no", "yes"], evaluation.Labels);
        Assert.Equal(100, evaluation.Count);
        Assert.True(evaluation.Accuracy >= 0.85, $"accuracy {evaluation.Accuracy}");
        Assert.True(evaluation.Curves!.MacroRocAuc >= 0.9, $"AUC {evaluation.Curves.MacroRocAuc}");

        var preprocessor = TabularPreprocessor.Load(dir.File("out"));
        Assert.Equal(["tenure", "monthly_charges", "contract"], preprocessor.Columns.Select(c => c.Name));
        Assert.Equal([TabularColumn.Numeric, TabularColumn.Numeric, TabularColumn.Categorical], preprocessor.Columns.Select(c => c.Type));
        Assert.Equal(["month-to-month", "one-year", "two-year"], preprocessor.Columns[2].Categories);
        Assert.Equal(5, preprocessor.Width);

        // The mean is the training rows' mean (missing cells left out), not the whole file's.
        var table = TabularTable.Load(dir.File("churn.csv"));
        var labels = table.Rows.Select(r => r[4] == "no" ? 0 : 1).ToArray();
        var split = Platform.Training.Data.DataSplit.Stratified(labels, 0.25, options.Seed);
        var trainMean = split.Train.Select(i => table.Rows[i][2]).Average(v => double.Parse(v, CultureInfo.InvariantCulture));
        var allMean = table.Rows.Average(r => double.Parse(r[2], CultureInfo.InvariantCulture));
        Assert.Equal(trainMean, preprocessor.Columns[1].Mean, 9);
        Assert.NotEqual(allMean, preprocessor.Columns[1].Mean, 9);

        using var model = ClassifierModel.Load(dir.File("out"), Device.Cpu);
        var tabular = Assert.IsType<TabularClassifier>(model);
        Assert.Equal(ModelKind.Tabular, ClassifierModel.DetectKind(dir.File("out")));
        // A JSON object's fields and the same CSV row give the same logits; the target may be sent along.
        var row = new Dictionary<string, string?> { ["tenure"] = "2", ["monthly_charges"] = "110.5", ["contract"] = "month-to-month", ["churn"] = "?" };
        var fromObject = tabular.Predict([row])[0];
        File.WriteAllText(dir.File("one.csv"), "contract,monthly_charges,tenure,extra\nmonth-to-month,110.5,2,ignored\n");
        var fromCsv = tabular.Predict(TabularTable.Load(dir.File("one.csv")))[0];
        Assert.Equal("yes", fromObject.Label);
        Assert.Equal(fromObject.Logits, fromCsv.Logits);
        Assert.Equal("no", tabular.Predict([new Dictionary<string, string?> { ["tenure"] = "70", ["monthly_charges"] = "25", ["contract"] = "two-year" }])[0].Label);

        // Evaluating the saved folder on the file reproduces a full-file evaluation with curves.
        var again = Trainer.Evaluate(model, dir.File("churn.csv"));
        Assert.Equal(400, again.Count);
        Assert.NotNull(again.Curves);
    }

    [Fact]
    public void Predict_BadCells_ClearErrors()
    {
        using var dir = new TestDirectory();
        TestData.WriteChurnCsv(dir.File("churn.csv"), 120);
        Trainer.Train(new TrainingRequest(dir.File("churn.csv"), TabularClassifier.Preset, dir.File("out"),
            new TrainingOptions { Epochs = 1, Threads = 1, TabularColumns = new TabularColumns("churn", ["customer_id"]) }));
        using var model = TabularClassifier.Load(dir.File("out"), Device.Cpu);

        var notNumber = Assert.Throws<InvalidDataException>(() => model.Predict([new Dictionary<string, string?> { ["tenure"] = "twelve" }]));
        Assert.Contains("column 'tenure' is numeric; 'twelve' is not a number", notNumber.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => model.Predict([new Dictionary<string, string?> { ["age"] = "3" }]));
        Assert.Contains("unknown column 'age'", unknown.Message);
        File.WriteAllText(dir.File("bad.csv"), "tenure,monthly_charges\n3,50\n");
        var lacking = Assert.Throws<InvalidDataException>(() => model.Predict(TabularTable.Load(dir.File("bad.csv"))));
        Assert.Contains("lacks the model's column(s) 'contract'", lacking.Message);
        // An unseen category and missing values still classify (all-zero one-hot, mean imputation).
        Assert.Single(model.Predict([new Dictionary<string, string?> { ["contract"] = "weekly" }]));
    }

    [Theory]
    [InlineData("a,b,a\n1,2,3\n", "names column 'a' twice")]
    [InlineData("a,b\n1,2\n3\n", "line 3 has 1 fields; the header has 2")]
    [InlineData("a,b\n", "no rows after the header")]
    [InlineData("a,,c\n1,2,3\n", "column 2 of the header has no name")]
    public void Load_MalformedCsv_ClearErrors(string content, string message)
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("t.csv"), content);
        var error = Assert.Throws<InvalidDataException>(() => TabularTable.Load(dir.File("t.csv")));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Train_TargetMissingOrUnknown_ClearErrors()
    {
        using var dir = new TestDirectory();
        File.WriteAllText(dir.File("t.csv"), "x,y\n1,a\n2,\n3,b\n");
        var empty = Assert.Throws<InvalidDataException>(() => Trainer.Train(new TrainingRequest(dir.File("t.csv"), TabularClassifier.Preset, dir.File("o"),
            new TrainingOptions { Epochs = 1, Threads = 1, TabularColumns = new TabularColumns("y") })));
        Assert.Contains("line 3: the target column 'y' is empty", empty.Message);
        var unknown = Assert.Throws<InvalidDataException>(() => Trainer.Train(new TrainingRequest(dir.File("t.csv"), TabularClassifier.Preset, dir.File("o"),
            new TrainingOptions { Epochs = 1, Threads = 1, TabularColumns = new TabularColumns("label") })));
        Assert.Contains("no column 'label'", unknown.Message);
    }
    [Fact]
    public void Transform_HugeFiniteNumber_IsClampedNotInfinite()
    {
        var preprocessor = new TabularPreprocessor("y", [new TabularColumn("a", TabularColumn.Numeric, Mean: 10, Std: 2)]);
        var features = new float[1];

        preprocessor.Transform(_ => "1e308", features);
        Assert.Equal(10_000f, features[0]);
        preprocessor.Transform(_ => "-1e308", features);
        Assert.Equal(-10_000f, features[0]);
        preprocessor.Transform(_ => "14", features);
        Assert.Equal(2f, features[0]);
    }
}
