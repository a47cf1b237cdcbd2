"""Exploration study of issue 16: when does the ranking head help on real data?"""
