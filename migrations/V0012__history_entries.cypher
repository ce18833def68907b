// A report's history entries were labelled :ReportEvent, the name GraphQL gives a live event
// (subscriptions). They are what GraphQL calls a HistoryEntry, and are labelled so from now on.
MATCH (e:ReportEvent) SET e:HistoryEntry REMOVE e:ReportEvent;
