using System.CommandLine;
using Platform.Cli;

var root = new RootCommand("Train, evaluate and use BERT and CNN classifiers from model folders.")
{
    InitBertCommand.Create(),
    TrainCommand.Create(),
    BaselineCommand.Create(),
    PredictCommand.Create(),
    EvalCommand.Create(),
    VocabCommand.Create(),
    PretrainCommand.Create(),
};

return await root.Parse(args).InvokeAsync();
