using System.CommandLine;
using Platform.Training.Training;

namespace Platform.Cli;

internal static class InitBertCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Hugging Face config.json of a BERT (model_type bert) or DistilBERT (distilbert)", Required = true };
        var vocab = new Option<string>("--vocab") { Description = "vocab.txt, one WordPiece token per line", Required = true };
        var labels = new Option<string>("--labels") { Description = "comma-separated label names, in class order", Required = true };
        var output = new Option<string>("--out") { Description = "model folder to create", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "initialisation seed", DefaultValueFactory = _ => 42 };
        var command = new Command("init-bert", "Create a randomly initialised BERT or DistilBERT classifier folder.") { config, vocab, labels, output, seed };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var names = parse.GetValue(labels)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length < 2 || names.Distinct(StringComparer.Ordinal).Count() != names.Length)
            {
                throw new ArgumentException("--labels needs at least two distinct names");
            }

            RequireFile(parse.GetValue(config)!);
            RequireFile(parse.GetValue(vocab)!);
            BertClassifier.Initialise(parse.GetValue(config)!, parse.GetValue(vocab)!, names, parse.GetValue(output)!, parse.GetValue(seed));
            Console.WriteLine($"created {parse.GetValue(output)} ({names.Length} labels)");
            return 0;
        }));
        return command;
    }

    internal static void RequireFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"file not found: {path}", path);
        }
    }
}
