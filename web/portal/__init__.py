"""The client portal: a client user's own dossiers, documents, actions and new claims."""
