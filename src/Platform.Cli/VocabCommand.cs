using System.CommandLine;
using System.Diagnostics;
using Platform.Training.Pretraining;
using Platform.Training.Tokenization;

namespace Platform.Cli;

internal static class VocabCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "corpus: a .txt with one document per line, or a .csv (its text column)", Required = true };
        var textColumn = new Option<string>("--text-column") { Description = "the CSV column holding the text", DefaultValueFactory = _ => "text" };
        var size = new Option<int>("--size") { Description = "tokens in the vocabulary, special tokens and characters included", DefaultValueFactory = _ => 8000 };
        var minFrequency = new Option<int>("--min-frequency") { Description = "never merge a pair seen fewer times", DefaultValueFactory = _ => 2 };
        var maxAlphabet = new Option<int>("--max-alphabet") { Description = "keep the most frequent characters only (0: all)", DefaultValueFactory = _ => 1000 };
        var cased = new Option<bool>("--cased") { Description = "keep case and accents (default: lower-case and strip accents, as uncased BERT)" };
        var output = new Option<string>("--out") { Description = "vocab.txt to write", Required = true };
        var command = new Command("vocab", "Train a WordPiece vocabulary (vocab.txt) from a corpus.")
        {
            data, textColumn, size, minFrequency, maxAlphabet, cased, output,
        };
        command.SetAction(parse => CliRunner.Run(() =>
        {
            var options = new WordPieceTrainerOptions
            {
                VocabularySize = parse.GetValue(size),
                MinFrequency = parse.GetValue(minFrequency),
                MaxAlphabet = parse.GetValue(maxAlphabet) is var limit and > 0 ? limit : null,
                Tokenizer = new BertTokenizerOptions { LowerCase = !parse.GetValue(cased) },
            };
            if (parse.GetValue(maxAlphabet) < 0)
            {
                throw new ArgumentException("--max-alphabet must not be negative");
            }

            var clock = Stopwatch.StartNew();
            var trainer = new WordPieceTrainer(options);
            foreach (var document in TextCorpus.Load(parse.GetValue(data)!, parse.GetValue(textColumn)!))
            {
                trainer.Add(document);
            }

            var vocabulary = trainer.Build();
            var path = parse.GetValue(output)!;
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            vocabulary.Save(path);
            var summary = trainer.Summary!;
            Console.WriteLine($"{summary.VocabularySize} tokens ({summary.Alphabet} characters, {summary.Merges} merges) from {summary.Words} words, {summary.DistinctWords} distinct, in {clock.Elapsed.TotalSeconds:F1} s");
            if (summary.DroppedCharacters > 0)
            {
                Console.WriteLine($"{summary.DroppedCharacters} rare characters left out (--max-alphabet): words holding them become [UNK]");
            }

            Console.WriteLine($"vocabulary written to {path}");
            return 0;
        }));
        return command;
    }
}
